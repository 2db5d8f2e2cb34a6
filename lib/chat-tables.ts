import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition, TableName } from '../contract/tables';
import { TABLES } from '../contract/tables';
import { type ChatFunction, grantTableAccess } from './chat-function';

export interface ChatTablesProps {
  /**
   * The tables to create. Tests may pass a subset; the stack uses the contract.
   * @default TABLES
   */
  readonly definitions?: readonly TableDefinition[];
}

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
};

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

function constructId(name: TableName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Table`;
}

/**
 * One DynamoDB table per contract definition. Every table is retained and deletion-protected: messages
 * are kept for life, and losing users or conversations would orphan them. Physical names are left to
 * CloudFormation so two stages fit in one account; handlers get them from environment variables.
 */
export class ChatTables extends Construct {
  readonly definitions: readonly TableDefinition[];
  private readonly byName = new Map<TableName, Table>();

  constructor(scope: Construct, id: string, props: ChatTablesProps = {}) {
    super(scope, id);
    this.definitions = props.definitions ?? TABLES;

    for (const definition of this.definitions) {
      const table = new Table(this, constructId(definition.name), {
        partitionKey: attribute(definition.partitionKey),
        sortKey: definition.sortKey ? attribute(definition.sortKey) : undefined,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: definition.timeToLiveAttribute,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of definition.globalIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: attribute(index.sortKey),
          projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
        });
      }
      for (const index of definition.localIndexes) {
        table.addLocalSecondaryIndex({
          indexName: index.indexName,
          sortKey: attribute(index.sortKey),
          projectionType: ProjectionType.ALL,
        });
      }
      this.byName.set(definition.name, table);
    }
  }

  /** The table built from the definition with this name. */
  table(name: TableName): Table {
    const table = this.byName.get(name);
    if (!table) {
      throw new Error(`No ${name} table in ${this.node.path}`);
    }
    return table;
  }

  /** The definition the table with this name was built from. */
  definition(name: TableName): TableDefinition {
    const definition = this.definitions.find((candidate) => candidate.name === name);
    if (!definition) {
      throw new Error(`No ${name} table definition in ${this.node.path}`);
    }
    return definition;
  }

  /** Grants a function exactly the table access its contract entry lists, with the tables' names. */
  grantAccess(fn: ChatFunction): void {
    for (const definition of this.definitions) {
      const access = fn.definition.tables[definition.name];
      if (access) {
        grantTableAccess(fn, this.table(definition.name), definition, access);
      }
    }
    for (const name of Object.keys(fn.definition.tables)) {
      if (!this.definitions.some((definition) => definition.name === name)) {
        throw new Error(
          `Function ${fn.chatName} needs table ${name}, which ${this.node.path} does not define`,
        );
      }
    }
  }
}
