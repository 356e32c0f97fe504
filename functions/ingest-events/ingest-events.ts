import { z } from 'zod';
import { type Event, parseEvent } from '../../ml/schema/index.js';
import type { Caller } from '../shared/caller.js';
import { ForbiddenError } from '../shared/errors.js';

/** PutRecords takes 500 records; a larger request would be split and lose its all-or-nothing reading. */
export const MAX_EVENTS_PER_REQUEST = 500;

export const IngestRequest = z.object({
  events: z
    .array(z.unknown())
    .min(1, 'send at least one event')
    .max(MAX_EVENTS_PER_REQUEST, `send at most ${MAX_EVENTS_PER_REQUEST} events per request`),
});
export type IngestRequest = z.infer<typeof IngestRequest>;

export interface EventPublisher {
  publish(
    events: readonly Event[],
  ): Promise<{ sent: number; failed: readonly { event: Event; error: string }[] }>;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: readonly { index: number; event_id?: string; reason: string }[];
  /** Valid events the stream did not take after retries; the caller should send them again. */
  readonly failed: readonly { index: number; event_id: string; reason: string }[];
}

/**
 * `POST /v1/events`: validates each event on its own (one bad event does not sink the others),
 * publishes the valid ones to the stream and tells the caller exactly which were not taken and why.
 */
export function makeIngestEvents(deps: { publisher: EventPublisher }) {
  return async function ingestEvents(request: IngestRequest, caller: Caller): Promise<IngestResult> {
    if (caller.role !== 'admin') {
      throw new ForbiddenError(
        `role ${caller.role} may not send events; integrations use an admin-group client`,
      );
    }
    const valid: { index: number; event: Event }[] = [];
    const rejected: { index: number; event_id?: string; reason: string }[] = [];
    request.events.forEach((candidate, index) => {
      const parsed = parseEvent(candidate);
      if (parsed.ok) {
        valid.push({ index, event: parsed.event });
        return;
      }
      const eventId =
        typeof candidate === 'object' && candidate !== null && 'event_id' in candidate
          ? String((candidate as { event_id: unknown }).event_id)
          : undefined;
      rejected.push({ index, event_id: eventId, reason: `events[${index}]: ${parsed.reason}` });
    });
    if (valid.length === 0) return { accepted: 0, rejected, failed: [] };
    const published = await deps.publisher.publish(valid.map((item) => item.event));
    const indexOf = new Map(valid.map((item) => [item.event, item.index]));
    const failed = published.failed.map(({ event, error }) => ({
      index: indexOf.get(event) ?? -1,
      event_id: event.event_id,
      reason: error,
    }));
    return { accepted: published.sent, rejected, failed };
  };
}
