/**
 * What one function instance remembers between invocations. Past `max` entries it forgets everything
 * at once, which keeps a long-lived instance's memory flat; callers treat a miss as "ask the store".
 */
export class InstanceCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.max && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, value);
  }
}
