import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventPublisher, makeIngestEvents } from '../../../functions/ingest-events/ingest-events.js';
import type { Caller } from '../../../functions/shared/caller.js';
import { type LocalPlatform, startLocalPlatform } from '../../../local/platform.js';
import type { Event } from '../../../ml/schema/index.js';

const admin: Caller = { userId: 'u-admin', role: 'admin', groups: ['admin'] };
const valid = (id: string) => ({
  event_id: id,
  user_id: 'c-1',
  ts: '2026-11-20T10:00:00Z',
  type: 'session_start',
  properties: { device: 'tv' },
});

class RecordingPublisher implements EventPublisher {
  readonly published: Event[] = [];
  constructor(private readonly failIds: ReadonlySet<string> = new Set()) {}
  async publish(events: readonly Event[]) {
    const failed = events.filter((event) => this.failIds.has(event.event_id));
    this.published.push(...events.filter((event) => !this.failIds.has(event.event_id)));
    return {
      sent: events.length - failed.length,
      failed: failed.map((event) => ({ event, error: 'throttled' })),
    };
  }
}

describe('makeIngestEvents', () => {
  it('publishes valid events and names the field of each rejected one, by index', async () => {
    const publisher = new RecordingPublisher();
    const result = await makeIngestEvents({ publisher })(
      {
        events: [
          valid('e-1'),
          { ...valid('e-2'), ts: 'yesterday' },
          valid('e-3'),
          { ...valid('e-4'), event_id: undefined },
        ],
      },
      admin,
    );
    expect(result.accepted).toBe(2);
    expect(publisher.published.map((event) => event.event_id)).toEqual(['e-1', 'e-3']);
    expect(result.rejected.map((rejection) => rejection.index)).toEqual([1, 3]);
    expect(result.rejected[0]?.reason).toMatch(/^events\[1\]: .*ts/);
    expect(result.rejected[1]?.reason).toMatch(/event_id/);
  });

  it('reports events the stream did not take so the caller can resend them', async () => {
    const publisher = new RecordingPublisher(new Set(['e-2']));
    const result = await makeIngestEvents({ publisher })({ events: [valid('e-1'), valid('e-2')] }, admin);
    expect(result.accepted).toBe(1);
    expect(result.failed).toEqual([{ index: 1, event_id: 'e-2', reason: 'throttled' }]);
  });

  it('refuses callers who are not integrations (admin group)', async () => {
    const ingest = makeIngestEvents({ publisher: new RecordingPublisher() });
    await expect(
      ingest(
        { events: [valid('e-1')] },
        { userId: 'm', role: 'manager', groups: ['manager'], managerId: 'm-1' },
      ),
    ).rejects.toMatchObject({ statusCode: 403 });
  });
});

describe('POST /v1/events on the local API', () => {
  let platform: LocalPlatform;
  beforeAll(async () => {
    platform = await startLocalPlatform({
      featureProcessor: false,
      apiLogger: { info: () => undefined, error: () => undefined },
    });
  });
  afterAll(() => platform.stop());

  const post = async (body: string, token?: string) => {
    const response = await fetch(`${platform.api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers 202 with counts and puts the events on the stream', async () => {
    const token = await platform.identity.signToken({ role: 'admin' });
    const response = await post(
      JSON.stringify({ events: [valid('api-1'), { ...valid('api-2'), type: 'x' }] }),
      token,
    );
    expect(response.status).toBe(202);
    expect(response.body.accepted).toBe(1);
    expect(response.body.rejected).toEqual([
      expect.objectContaining({ index: 1, event_id: 'api-2', reason: expect.stringMatching(/type/) }),
    ]);
  });

  it('answers 400 naming the field for a body that is not an event batch', async () => {
    const token = await platform.identity.signToken({ role: 'admin' });
    const notJson = await post('{"events": [', token);
    expect(notJson.status).toBe(400);
    expect(notJson.body.code).toBe('ValidationError');
    const noEvents = await post(JSON.stringify({ items: [] }), token);
    expect(noEvents.status).toBe(400);
    expect(String(noEvents.body.message)).toMatch(/body\.events/);
  });

  it('answers 401 without a token and 403 for a manager', async () => {
    expect((await post(JSON.stringify({ events: [valid('x')] }))).status).toBe(401);
    const manager = await platform.identity.signToken({ role: 'manager', managerId: 'm-1' });
    const forbidden = await post(JSON.stringify({ events: [valid('x')] }), manager);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('Forbidden');
  });
});
