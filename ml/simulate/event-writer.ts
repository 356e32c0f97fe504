import { EVENT_TYPES, type EventType } from '../schema/event.js';
import { SECONDS_PER_DAY } from './calendar.js';
import type { Customer } from './customer.js';

const TYPE_INDEX = new Map<EventType, number>(EVENT_TYPES.map((type, index) => [type, index]));
/** The longest line the simulator writes is well under this. */
const MAX_LINE_BYTES = 1024;
const NEWLINE = 10;
const QUOTE = 34;
const ZERO = 48;
const DIGITS36 = '0123456789abcdefghijklmnopqrstuvwxyz';

function typeIndex(type: EventType): number {
  const index = TYPE_INDEX.get(type);
  if (index === undefined) throw new Error(`unknown event type ${type}`);
  return index;
}

/** One day's events, sorted by time, as JSON lines (each ending in a newline, ASCII). */
export interface DayEvents {
  readonly day: number;
  readonly count: number;
  readonly jsonl: Buffer;
}

const EMPTY = Buffer.alloc(0);
const INITIAL_LINES = 1 << 16;

/**
 * Writes events as JSON lines straight into bytes. Twenty million events per run make every
 * allocation count: building a string per event and encoding it cost three times as much, most
 * of it in the garbage collector. The simulator's strings are its own identifiers and category
 * names ([a-z0-9_ -]), so no escaping is needed; numbers are written with at most two decimals.
 *
 * Lines go into the upper half of one byte array as they are made; at the end of the day a
 * counting sort on the second of day orders them (stable, linear) and `copyWithin` moves them
 * into the lower half in that order (a memmove, no allocation per line). The array is a plain
 * Uint8Array: on Node 20 element access and copyWithin are several times slower on a Buffer.
 * With `recording` off (calibration runs) the writer only counts.
 */
export class EventWriter {
  readonly recording: boolean;
  /** Events emitted so far, by index into EVENT_TYPES. */
  readonly counts = new Float64Array(EVENT_TYPES.length);
  private prefix = '';
  private day = 0;
  private seconds = new Int32Array(INITIAL_LINES);
  private starts = new Int32Array(INITIAL_LINES);
  private lengths = new Int32Array(INITIAL_LINES);
  private order = new Int32Array(INITIAL_LINES);
  private readonly firstOfSecond = new Int32Array(SECONDS_PER_DAY + 1);
  /** Lower half: the sorted output; upper half, from `capacity`: lines in the order made. */
  private buffer: Uint8Array;
  private capacity: number;
  private position = 0;
  private size = 0;

  constructor(recording: boolean, initialCapacity = 1 << 22) {
    this.recording = recording;
    this.capacity = recording ? initialCapacity : 0;
    this.buffer = new Uint8Array(recording ? 2 * initialCapacity : 0);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts) sum += count;
    return sum;
  }

  startDay(day: number, prefix: string): void {
    this.day = day;
    this.prefix = prefix;
    this.size = 0;
    this.position = this.capacity;
  }

  /** The day's events in time order. */
  finishDay(): DayEvents {
    const count = this.size;
    if (!this.recording || count === 0) return { day: this.day, count, jsonl: EMPTY };
    // Counting sort by second: firstOfSecond[s] becomes the rank of the first line in second s.
    const firstOfSecond = this.firstOfSecond.fill(0);
    const seconds = this.seconds;
    for (let line = 0; line < count; line++) {
      const second = (seconds[line] ?? 0) + 1;
      firstOfSecond[second] = (firstOfSecond[second] ?? 0) + 1;
    }
    for (let second = 1; second <= SECONDS_PER_DAY; second++) {
      firstOfSecond[second] = (firstOfSecond[second] ?? 0) + (firstOfSecond[second - 1] ?? 0);
    }
    const order = this.order;
    for (let line = 0; line < count; line++) {
      const second = seconds[line] ?? 0;
      const rank = firstOfSecond[second] ?? 0;
      order[rank] = line;
      firstOfSecond[second] = rank + 1;
    }
    const buffer = this.buffer;
    let offset = 0;
    for (let rank = 0; rank < count; rank++) {
      const line = order[rank] ?? 0;
      const start = this.starts[line] ?? 0;
      const length = this.lengths[line] ?? 0;
      buffer.copyWithin(offset, start, start + length);
      offset += length;
      buffer[offset++] = NEWLINE;
    }
    const jsonl = Buffer.from(buffer.slice(0, offset).buffer);
    return { day: this.day, count, jsonl };
  }

  private growLines(): void {
    const length = this.seconds.length * 2;
    const grow = (old: Int32Array): Int32Array<ArrayBuffer> => {
      const grown = new Int32Array(length);
      grown.set(old);
      return grown;
    };
    this.seconds = grow(this.seconds);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
    this.order = new Int32Array(length);
  }

  private growBuffer(): void {
    const capacity = this.capacity * 2;
    const buffer = new Uint8Array(2 * capacity);
    buffer.set(this.buffer.subarray(this.capacity, this.position), capacity);
    const shift = capacity - this.capacity;
    for (let line = 0; line < this.size; line++) this.starts[line] = (this.starts[line] ?? 0) + shift;
    this.position += shift;
    this.buffer = buffer;
    this.capacity = capacity;
  }

  /**
   * Counts the event and, when recording, writes everything up to the properties object.
   * Returns false when not recording, so callers skip formatting the properties.
   */
  private begin(customer: Customer, second: number, type: number, typeName: string): boolean {
    this.counts[type] = (this.counts[type] ?? 0) + 1;
    const sequence = customer.eventSequence++;
    if (!this.recording) return false;
    const at = Math.min(SECONDS_PER_DAY - 1, Math.max(0, Math.floor(second)));
    const line = this.size++;
    if (line >= this.seconds.length) this.growLines();
    if (this.position + MAX_LINE_BYTES > 2 * this.capacity) this.growBuffer();
    this.seconds[line] = at;
    this.starts[line] = this.position;
    this.text('{"event_id":"');
    this.text(customer.userId);
    this.byte(45);
    this.base36(sequence);
    this.text('","user_id":"');
    this.text(customer.userId);
    this.text('","ts":"');
    this.text(this.prefix);
    this.int2(Math.floor(at / 3600));
    this.byte(58);
    this.int2(Math.floor((at % 3600) / 60));
    this.byte(58);
    this.int2(at % 60);
    this.text('Z","type":"');
    this.text(typeName);
    this.text('","properties":');
    return true;
  }

  private end(): void {
    this.text('}}');
    const line = this.size - 1;
    this.lengths[line] = this.position - (this.starts[line] ?? 0);
  }

  private byte(code: number): void {
    this.buffer[this.position++] = code;
  }

  private text(value: string): void {
    const buffer = this.buffer;
    let position = this.position;
    for (let index = 0; index < value.length; index++) buffer[position++] = value.charCodeAt(index);
    this.position = position;
  }

  private quoted(value: string): void {
    this.byte(QUOTE);
    this.text(value);
    this.byte(QUOTE);
  }

  private int2(value: number): void {
    this.byte(ZERO + Math.floor(value / 10));
    this.byte(ZERO + (value % 10));
  }

  /** A non-negative integer in decimal. */
  private int(value: number): void {
    if (value >= 10) this.int(Math.floor(value / 10));
    this.byte(ZERO + (value % 10));
  }

  private base36(value: number): void {
    if (value >= 36) this.base36(Math.floor(value / 36));
    this.byte(DIGITS36.charCodeAt(value % 36));
  }

  /** A non-negative number rounded to one decimal, as JavaScript would print it (42, 42.5). */
  private decimal1(value: number): void {
    const tenths = Math.round(value * 10);
    this.int(Math.floor(tenths / 10));
    const fraction = tenths % 10;
    if (fraction !== 0) {
      this.byte(46);
      this.byte(ZERO + fraction);
    }
  }

  /** A non-negative number rounded to two decimals, as JavaScript would print it (1, 0.5, 0.05). */
  private decimal2(value: number): void {
    const hundredths = Math.round(value * 100);
    this.int(Math.floor(hundredths / 100));
    const fraction = hundredths % 100;
    if (fraction === 0) return;
    this.byte(46);
    this.byte(ZERO + Math.floor(fraction / 10));
    if (fraction % 10 !== 0) this.byte(ZERO + (fraction % 10));
  }

  /** `"<name>-<title>"`: content ids are made here, not as strings in the simulator. */
  private contentId(name: string, title: number): void {
    this.byte(QUOTE);
    this.text(name);
    this.byte(45);
    this.int(title);
    this.byte(QUOTE);
  }

  sessionStart(customer: Customer, second: number, device: string, minutes: number): void {
    if (!this.begin(customer, second, T.session_start, 'session_start')) return;
    this.text('{"device":');
    this.quoted(device);
    this.text(',"minutes":');
    this.decimal1(minutes);
    this.end();
  }

  /** A play of title `title` of `content` (a genre, or `premiere`), in genre `genre`. */
  play(
    customer: Customer,
    second: number,
    content: string,
    title: number,
    genre: string,
    minutes: number,
    completion: number,
  ): void {
    if (!this.begin(customer, second, T.play, 'play')) return;
    this.text('{"content_id":');
    this.contentId(content, title);
    this.text(',"genre":');
    this.quoted(genre);
    this.text(',"minutes":');
    this.decimal1(minutes);
    this.text(',"completion":');
    this.decimal2(completion);
    this.end();
  }

  search(customer: Customer, second: number, query: string, results: number): void {
    if (!this.begin(customer, second, T.search, 'search')) return;
    this.text('{"query":');
    this.quoted(query);
    this.text(',"results":');
    this.int(results);
    this.end();
  }

  searchNoResult(customer: Customer, second: number, query: string): void {
    if (!this.begin(customer, second, T.search_no_result, 'search_no_result')) return;
    this.text('{"query":');
    this.quoted(query);
    this.end();
  }

  private payment(amount: number, currency: string, attempt: number): void {
    this.text('{"amount":');
    this.decimal2(amount);
    this.text(',"currency":');
    this.quoted(currency);
    this.text(',"attempt":');
    this.int(attempt);
  }

  paymentSucceeded(
    customer: Customer,
    second: number,
    amount: number,
    currency: string,
    attempt: number,
  ): void {
    if (!this.begin(customer, second, T.payment_succeeded, 'payment_succeeded')) return;
    this.payment(amount, currency, attempt);
    this.end();
  }

  paymentFailed(
    customer: Customer,
    second: number,
    amount: number,
    currency: string,
    attempt: number,
    reason: string,
  ) {
    if (!this.begin(customer, second, T.payment_failed, 'payment_failed')) return;
    this.payment(amount, currency, attempt);
    this.text(',"reason":');
    this.quoted(reason);
    this.end();
  }

  subscriptionStarted(
    customer: Customer,
    second: number,
    plan: string,
    monthlyPrice: number,
    channel: string,
  ) {
    if (!this.begin(customer, second, T.subscription_started, 'subscription_started')) return;
    this.text('{"plan":');
    this.quoted(plan);
    this.text(',"monthly_price":');
    this.decimal2(monthlyPrice);
    this.text(',"channel":');
    this.quoted(channel);
    this.end();
  }

  subscriptionRenewed(customer: Customer, second: number, plan: string, paidUntil: string): void {
    if (!this.begin(customer, second, T.subscription_renewed, 'subscription_renewed')) return;
    this.text('{"plan":');
    this.quoted(plan);
    this.text(',"paid_until":');
    this.quoted(paidUntil);
    this.end();
  }

  subscriptionCancelled(customer: Customer, second: number, reason: string, paidUntil: string): void {
    if (!this.begin(customer, second, T.subscription_cancelled, 'subscription_cancelled')) return;
    this.text('{"reason":');
    this.quoted(reason);
    this.text(',"paid_until":');
    this.quoted(paidUntil);
    this.end();
  }

  cancelPageView(customer: Customer, second: number): void {
    if (!this.begin(customer, second, T.cancel_page_view, 'cancel_page_view')) return;
    this.text('{');
    this.end();
  }

  /** A support ticket; `csat` 0 means the customer did not answer the survey. */
  supportTicket(customer: Customer, second: number, topic: string, csat: number): void {
    if (!this.begin(customer, second, T.support_ticket, 'support_ticket')) return;
    this.text('{"topic":');
    this.quoted(topic);
    if (csat > 0) {
      this.text(',"csat":');
      this.int(csat);
    }
    this.end();
  }

  notificationSent(customer: Customer, second: number, campaign: string, channel: string): void {
    if (!this.begin(customer, second, T.notification_sent, 'notification_sent')) return;
    this.text('{"campaign":');
    this.quoted(campaign);
    this.text(',"channel":');
    this.quoted(channel);
    this.end();
  }

  notificationOpened(customer: Customer, second: number, campaign: string): void {
    if (!this.begin(customer, second, T.notification_opened, 'notification_opened')) return;
    this.text('{"campaign":');
    this.quoted(campaign);
    this.end();
  }

  buffering(customer: Customer, second: number, seconds: number, content: string, title: number): void {
    if (!this.begin(customer, second, T.buffering, 'buffering')) return;
    this.text('{"seconds":');
    this.decimal1(seconds);
    this.text(',"content_id":');
    this.contentId(content, title);
    this.end();
  }

  appCrash(customer: Customer, second: number, device: string): void {
    if (!this.begin(customer, second, T.app_crash, 'app_crash')) return;
    this.text('{"device":');
    this.quoted(device);
    this.end();
  }

  referral(customer: Customer, second: number, referredUserId: string): void {
    if (!this.begin(customer, second, T.referral, 'referral')) return;
    this.text('{"referred_user_id":');
    this.quoted(referredUserId);
    this.end();
  }

  /** A playlist of `customer` (numbered by day) shared with a friend. */
  playlistShared(customer: Customer, second: number, day: number, sharedWith: string): void {
    if (!this.begin(customer, second, T.playlist_shared, 'playlist_shared')) return;
    this.text('{"playlist_id":"pl-');
    this.text(customer.userId);
    this.byte(45);
    this.int(day);
    this.text('","shared_with":');
    this.quoted(sharedWith);
    this.end();
  }

  review(customer: Customer, second: number, rating: number, store: string, withText: boolean): void {
    if (!this.begin(customer, second, T.review, 'review')) return;
    this.text('{"rating":');
    this.int(rating);
    this.text(',"store":');
    this.quoted(store);
    this.text(withText ? ',"with_text":true' : ',"with_text":false');
    this.end();
  }
}

const T = {
  session_start: typeIndex('session_start'),
  play: typeIndex('play'),
  search: typeIndex('search'),
  search_no_result: typeIndex('search_no_result'),
  payment_succeeded: typeIndex('payment_succeeded'),
  payment_failed: typeIndex('payment_failed'),
  subscription_started: typeIndex('subscription_started'),
  subscription_renewed: typeIndex('subscription_renewed'),
  subscription_cancelled: typeIndex('subscription_cancelled'),
  cancel_page_view: typeIndex('cancel_page_view'),
  support_ticket: typeIndex('support_ticket'),
  notification_sent: typeIndex('notification_sent'),
  notification_opened: typeIndex('notification_opened'),
  buffering: typeIndex('buffering'),
  app_crash: typeIndex('app_crash'),
  referral: typeIndex('referral'),
  playlist_shared: typeIndex('playlist_shared'),
  review: typeIndex('review'),
} as const;
