/**
 * The AWS SDK's SQS client, loaded on first connect so that importing the plugin costs nothing until used.
 *
 * @module
 */

import type { SQSClient } from "@aws-sdk/client-sqs";
import { importClient } from "@sluice/core/kit";

/** The SDK module. */
export type SqsModule = typeof import("@aws-sdk/client-sqs");

/** A client with the SDK's command classes. */
export interface SqsSdk {
  readonly client: SQSClient;
  readonly commands: SqsModule;
}

/** Imports `@aws-sdk/client-sqs`, or throws an error that says how to install it. */
export function loadSdk(): Promise<SqsModule> {
  return importClient("@aws-sdk/client-sqs", () => import("@aws-sdk/client-sqs"));
}
