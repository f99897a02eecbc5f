/**
 * The attribute names the middleware writes: the OpenTelemetry messaging semantic conventions (v1.27 and
 * later), and the older names FastStream's middleware writes, so queries written for either find Sluice's
 * spans.
 *
 * @module
 */

/** `messaging.system`: the broker kind. */
export const MESSAGING_SYSTEM = "messaging.system";
/** `messaging.destination.name`: the channel. */
export const MESSAGING_DESTINATION_NAME = "messaging.destination.name";
/** `messaging.destination.template`: the subscriber's channel template, when it has parameters. */
export const MESSAGING_DESTINATION_TEMPLATE = "messaging.destination.template";
/** `messaging.operation.type`: `send` or `process`. */
export const MESSAGING_OPERATION_TYPE = "messaging.operation.type";
/** `messaging.operation.name`: `publish`, `request`, `reply` or `process`. */
export const MESSAGING_OPERATION_NAME = "messaging.operation.name";
/** `messaging.message.id`. */
export const MESSAGING_MESSAGE_ID = "messaging.message.id";
/** `messaging.message.conversation_id`: the correlation id. */
export const MESSAGING_MESSAGE_CONVERSATION_ID = "messaging.message.conversation_id";
/** `messaging.message.body.size`: the body in bytes. */
export const MESSAGING_MESSAGE_BODY_SIZE = "messaging.message.body.size";
/** `messaging.batch.message_count`. */
export const MESSAGING_BATCH_MESSAGE_COUNT = "messaging.batch.message_count";
/** `messaging.kafka.message.key`. */
export const MESSAGING_KAFKA_MESSAGE_KEY = "messaging.kafka.message.key";
/** `messaging.kafka.destination.partition`: a consumed record's partition, or a publish's chosen one. */
export const MESSAGING_KAFKA_DESTINATION_PARTITION = "messaging.kafka.destination.partition";
/** `messaging.kafka.message.offset`: a consumed record's offset. */
export const MESSAGING_KAFKA_MESSAGE_OFFSET = "messaging.kafka.message.offset";
/** `messaging.rabbitmq.message.delivery_tag`: a consumed message's delivery tag on its channel. */
export const MESSAGING_RABBITMQ_DELIVERY_TAG = "messaging.rabbitmq.message.delivery_tag";
/** `messaging.rabbitmq.destination.routing_key`. */
export const MESSAGING_RABBITMQ_ROUTING_KEY = "messaging.rabbitmq.destination.routing_key";
/** `error.type`: the class name of what was thrown. */
export const ERROR_TYPE = "error.type";

/** FastStream's `messaging.operation` (`publish`, `process`), from the semantic conventions before v1.26. */
export const LEGACY_MESSAGING_OPERATION = "messaging.operation";
/** FastStream's `messaging.message.payload_size_bytes`. */
export const LEGACY_MESSAGING_PAYLOAD_SIZE = "messaging.message.payload_size_bytes";
/** FastStream's `messaging.destination_publish.name`: where a consumed message was published. */
export const LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME = "messaging.destination_publish.name";

/** The `messaging.system` of a broker kind: the driver's name, `aws_sqs` for SQS as the conventions name it. */
export function messagingSystem(broker: string): string {
  return broker === "sqs" ? "aws_sqs" : broker;
}

/** The class name of what was thrown, as FastStream's `type(err).__name__`. */
export function errorType(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name;
  return error === null ? "null" : typeof error;
}
