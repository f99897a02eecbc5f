/**
 * A native batch publish through publish middlewares: each message passes them as a publication of its own
 * (its span and trace headers, its count), and the innermost step only collects it. Once every message has
 * arrived there — or ended without arriving, dropped or failed by a middleware — those that arrived are sent
 * in one batch per channel (a middleware may have moved one), and each message's publish settles with its
 * batch. Nothing is sent before every message is accounted for, so a failed batch fails every message in it.
 *
 * @module
 */

import { composePublish, type Middleware, type Publication } from "./middleware.ts";

/** Sends the publications of one channel in one batch. */
export type SendBatch = (channel: string, publications: readonly Publication[]) => Promise<void>;

/** Runs `publications` through the publish halves of `middlewares`, then sends them with `sendBatch`. */
export function publishBatchThrough(
  publications: readonly Publication[],
  middlewares: readonly Middleware[],
  sendBatch: SendBatch,
): Promise<void> {
  const arrived: Publication[] = [];
  let open = publications.length;
  let send!: () => void;
  const sent = new Promise<void>((resolve, reject) => {
    send = () => {
      const byChannel = new Map<string, Publication[]>();
      for (const publication of arrived) {
        const group = byChannel.get(publication.channel);
        if (group) group.push(publication);
        else byChannel.set(publication.channel, [publication]);
      }
      Promise.all([...byChannel].map(([channel, group]) => sendBatch(channel, group))).then(
        () => resolve(),
        reject,
      );
    };
  });
  // Every message's publish sees a failed batch; this keeps it from also being an unhandled rejection.
  sent.catch(() => {});
  const accounted = (): void => {
    if (--open === 0 && arrived.length > 0) send();
  };
  return Promise.all(publications.map((publication) => {
    let reached = false;
    const pipeline = composePublish(middlewares, (p) => {
      reached = true;
      arrived.push(p);
      accounted();
      return sent;
    });
    return pipeline(publication).finally(() => {
      if (!reached) accounted();
    });
  })).then(() => undefined);
}
