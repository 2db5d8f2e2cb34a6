export type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined>;

/**
 * Creates an element. Attributes are set as attributes (true means present, false or undefined absent),
 * children as nodes or text: nothing is ever parsed as HTML, so message text cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  element.append(...children.filter((child): child is Node | string => child !== false && child != null));
  return element;
}

export function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) element.removeAttribute(name);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
/** Line icons: the view box's width (its height is 16) and the paths. */
const ICONS = {
  check: { width: 16, paths: ['M2.5 8.5 6 12l7.5-8'] },
  checks: { width: 21, paths: ['M1.5 8.5 5 12l7.5-8', 'M8.2 10.7 9.5 12l7.5-8'] },
  clock: { width: 16, paths: ['M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 0 0 8 1.8Z', 'M8 4.5V8l2.5 1.6'] },
  alert: {
    width: 16,
    paths: ['M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 0 0 8 1.8Z', 'M8 4.6v4.2', 'M8 11.1v.1'],
  },
  back: { width: 16, paths: ['M10.5 2.5 5 8l5.5 5.5'] },
  send: { width: 16, paths: ['M2 8h9', 'M1.6 2.2 14.5 8 1.6 13.8 3.8 8Z'] },
  clip: {
    width: 16,
    paths: [
      'M13.5 7.5 8 13a3.5 3.5 0 0 1-5-5l6-6a2.3 2.3 0 0 1 3.3 3.3L6.5 11.1a1.2 1.2 0 0 1-1.7-1.7L10 4.2',
    ],
  },
  mic: {
    width: 16,
    paths: [
      'M8 1.5a2.2 2.2 0 0 0-2.2 2.2v4a2.2 2.2 0 0 0 4.4 0v-4A2.2 2.2 0 0 0 8 1.5Z',
      'M3.5 7.5a4.5 4.5 0 0 0 9 0',
      'M8 12v2.5',
    ],
  },
  play: { width: 16, paths: ['M4.5 2.5v11l9-5.5Z'] },
  pause: { width: 16, paths: ['M5 3v10', 'M11 3v10'] },
  close: { width: 16, paths: ['M3.5 3.5l9 9', 'M12.5 3.5l-9 9'] },
  trash: { width: 16, paths: ['M2.5 4.5h11', 'M6 4.5V2.5h4v2', 'M4 4.5l.8 9h6.4l.8-9'] },
  bell: { width: 16, paths: ['M3.5 11.5V7a4.5 4.5 0 0 1 9 0v4.5l1 1h-11Z', 'M6.5 14.2a1.6 1.6 0 0 0 3 0'] },
  'bell-off': {
    width: 16,
    paths: ['M3.5 11.5V7a4.5 4.5 0 0 1 9 0v4.5l1 1h-11Z', 'M6.5 14.2a1.6 1.6 0 0 0 3 0', 'M2 1.5l12 13'],
  },
} as const satisfies Record<string, { width: number; paths: readonly string[] }>;
export type IconName = keyof typeof ICONS;

/** A decorative line icon, 1em high; the control that holds it carries the accessible name. */
export function icon(name: IconName): SVGSVGElement {
  const { width, paths } = ICONS[name];
  const svg = document.createElementNS(SVG, 'svg');
  setAttributes(svg, {
    viewBox: `0 0 ${width} 16`,
    class: `icon icon-${name}`,
    'aria-hidden': 'true',
    focusable: 'false',
  });
  svg.style.width = `${width / 16}em`;
  for (const d of paths) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** http(s) addresses in text; trailing punctuation is left out, as in "see https://example.com." */
const LINK = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'’”]/gi;

/**
 * Text with its web addresses as links: only http and https (never `javascript:`), opened in a new
 * tab without the opener or a referrer. No previews: fetching one would tell the site who reads it.
 */
export function linkified(text: string): (Node | string)[] {
  const parts: (Node | string)[] = [];
  let at = 0;
  for (const match of text.matchAll(LINK)) {
    const href = safeHref(match[0]);
    if (href === undefined) continue;
    parts.push(
      text.slice(at, match.index),
      h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, match[0]),
    );
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return parts.filter((part) => part !== '');
}

function safeHref(address: string): string | undefined {
  try {
    const url = new URL(address);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only' }, text);
}

/** A stable hue per name, so that avatars are told apart at a glance. */
export function avatar(name: string, extra?: Child): HTMLSpanElement {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  const element = h('span', { class: 'avatar', 'aria-hidden': 'true' }, name.charAt(0).toUpperCase(), extra);
  // Set through the CSSOM: the page's Content-Security-Policy forbids style attributes.
  element.style.setProperty('--hue', String(hash));
  return element;
}
