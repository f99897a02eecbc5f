/**
 * Explicit partitions on kafkajs, which has no manual `assign()`: the subscriber joins its group with this
 * partition assigner, which puts the partitions each member asks for (in its join metadata) on that member,
 * and nothing else. A member alone in its group (the default: a group unique to the subscriber) gets exactly
 * its partitions; members of one named group that all use `partitions` split the topic as they asked. A
 * partition two members ask for goes to the first by member id.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { AssignerProtocol, GroupMemberAssignment, PartitionAssigner } from "kafkajs";

/** The name of the assignment protocol: every member of a group using `partitions` must use it. */
export const EXPLICIT_ASSIGNER = "SluiceExplicitPartitions";

/** A kafkajs partition assigner giving each member the partitions it asked for: `wanted` for this one. */
export function explicitAssigner(
  protocol: typeof AssignerProtocol,
  wanted: Readonly<Record<string, readonly number[]>>,
): PartitionAssigner {
  const version = 1;
  return () => ({
    name: EXPLICIT_ASSIGNER,
    version,
    assign({ members }): Promise<GroupMemberAssignment[]> {
      const taken = new Set<string>();
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      return Promise.resolve(sorted.map(({ memberId, memberMetadata }) => {
        const asked = askedBy(protocol, memberMetadata);
        const assignment: Record<string, number[]> = {};
        for (const [topic, partitions] of Object.entries(asked)) {
          for (const partition of partitions) {
            const key = `${topic}\u0000${partition}`;
            if (taken.has(key)) continue;
            taken.add(key);
            (assignment[topic] ??= []).push(partition);
          }
        }
        return {
          memberId,
          memberAssignment: protocol.MemberAssignment.encode({
            version,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      }));
    },
    protocol({ topics }) {
      return {
        name: EXPLICIT_ASSIGNER,
        metadata: protocol.MemberMetadata.encode({
          version,
          topics,
          userData: Buffer.from(JSON.stringify(wanted)),
        }),
      };
    },
  });
}

function askedBy(protocol: typeof AssignerProtocol, metadata: Buffer): Record<string, number[]> {
  try {
    const text = protocol.MemberMetadata.decode(metadata)?.userData?.toString() ?? "";
    return text ? JSON.parse(text) as Record<string, number[]> : {};
  } catch {
    return {};
  }
}
