// A client of Prometheus's HTTP API (/api/v1): instant and range queries, targets, alerts; bounded, timed out, failing as values naming the server.
//
// Prometheus is an optional source: every failure is a DeviceError whose "device" is the server ("prometheus
// 10.0.0.5:9090"), so a caller can show it and keep working from direct polls. Answers are bounded three ways: the
// body (readBody's limit), the number of series kept, and the number of points per series (the step is raised so
// a window never asks for more than `maxPoints`).
import http from 'node:http';
import https from 'node:https';
import {DeviceError, isDeviceError, type DeviceErrorKind} from '../device-error.js';
import {readBody} from '../http-transport.js';

export type PrometheusClientOptions = {
	/** Per request, connect to last byte; default 5 s. */
	timeoutMs?: number;
	/** Series kept from one answer (the rest are counted as dropped); default 500. */
	maxSeries?: number;
	/** Points per series a range query may ask for; default 1000 (Prometheus itself refuses above 11 000). */
	maxPoints?: number;
	/** Longest window a range query may cover; default 31 days. */
	maxWindowMs?: number;
};

export type Labels = Readonly<Record<string, string>>;

export type InstantSample = {labels: Labels; value: number | null; time: number};
export type RangeSeries = {labels: Labels; times: number[]; values: Array<number | null>};

/** What an answer carries besides its data: Prometheus's warnings (partial data) and what this client dropped. */
export type AnswerNotes = {
	warnings: string[];
	/** Series beyond maxSeries, not kept. */
	droppedSeries: number;
};

export type InstantAnswer = AnswerNotes & {samples: InstantSample[]};
export type RangeAnswer = AnswerNotes & {series: RangeSeries[]; startMs: number; endMs: number; stepMs: number};

export type PrometheusTarget = {
	job: string;
	instance: string;
	scrapeUrl: string;
	health: 'up' | 'down' | 'unknown';
	lastError: string;
	labels: Labels;
};

export type PrometheusAlert = {
	name: string;
	state: 'firing' | 'pending' | 'inactive';
	labels: Labels;
	annotations: Labels;
	activeAt: string | null;
	value: string;
};

export type RangeRequest = {startMs: number; endMs: number; stepMs: number};

const defaults = {timeoutMs: 5000, maxSeries: 500, maxPoints: 1000, maxWindowMs: 31 * 86_400_000};
/** A target or alert list this long is a misconfiguration or an attack, not a fleet krazy-tui can show. */
const maxListEntries = 20_000;

/** The step a window needs so it holds at most `maxPoints` points; never below `stepMs` or 1 s. */
export function boundedStepMs(windowMs: number, stepMs: number, maxPoints: number): number {
	return Math.max(1000, stepMs, Math.ceil(windowMs / Math.max(1, maxPoints - 1) / 1000) * 1000);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function labelsOf(value: unknown): Labels {
	if (!isObject(value)) {
		return {};
	}

	const labels: Record<string, string> = {};
	for (const [key, text] of Object.entries(value)) {
		if (typeof text === 'string') {
			labels[key] = text;
		}
	}

	return labels;
}

/** Prometheus sends sample values as strings ("1.5", "NaN", "+Inf"); what is not a finite number is a gap. */
function sampleValue(text: unknown): number | null {
	if (typeof text !== 'string') {
		return null;
	}

	const value = Number(text);
	return Number.isFinite(value) ? value : null;
}

function text(value: unknown): string {
	return typeof value === 'string' ? value : '';
}

export class PrometheusClient {
	/** How errors name the server: "prometheus HOST:PORT" (never credentials). */
	readonly name: string;
	/** The base URL without credentials and without a trailing slash. */
	readonly url: string;
	readonly #base: URL;
	/** A path prefix (Prometheus behind a proxy at /prometheus), without its trailing slash. */
	readonly #prefix: string;
	readonly #authorization: string | undefined;
	readonly #options: Required<PrometheusClientOptions>;
	readonly #agent: http.Agent;

	constructor(url: string, options: PrometheusClientOptions = {}) {
		let parsed: URL;
		try {
			parsed = new URL(url);
		} catch {
			throw new DeviceError(`prometheus ${url}`, 'usage', 'not a URL (expected http[s]://host:port)');
		}

		if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
			throw new DeviceError(`prometheus ${url}`, 'usage', `not an http(s) URL (${parsed.protocol})`);
		}

		if (parsed.username || parsed.password) {
			const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
			this.#authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
			parsed.username = '';
			parsed.password = '';
		}

		parsed.search = '';
		parsed.hash = '';
		this.#prefix = parsed.pathname.replace(/\/+$/, '');
		this.#base = parsed;
		this.url = parsed.href.replace(/\/$/, '');
		this.name = `prometheus ${parsed.host}`;
		// An option given as undefined keeps its default.
		const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
		this.#options = {...defaults, ...given};
		this.#agent = new (parsed.protocol === 'https:' ? https.Agent : http.Agent)({keepAlive: true, maxSockets: 4});
	}

	get options(): Readonly<Required<PrometheusClientOptions>> {
		return this.#options;
	}

	close(): void {
		this.#agent.destroy();
	}

	async query(expr: string, options: {timeMs?: number; signal?: AbortSignal} = {}): Promise<InstantAnswer> {
		const parameters: Record<string, string> = {query: expr};
		if (options.timeMs !== undefined) {
			parameters.time = String(options.timeMs / 1000);
		}

		const data = await this.#get('/api/v1/query', parameters, options.signal);
		const {items, dropped} = this.#resultList(data.data, 'vector', expr);
		const samples: InstantSample[] = items.map(item => {
			const pair = Array.isArray(item.value) ? item.value : [];
			return {labels: labelsOf(item.metric), value: sampleValue(pair[1]), time: Number(pair[0]) * 1000};
		});
		return {samples, warnings: data.warnings, droppedSeries: dropped};
	}

	/**
	 * A range query over [startMs, endMs]. The window is cut to maxWindowMs (its end kept) and the step raised so no
	 * series has more than maxPoints points; the answer says which step and window were used.
	 */
	async queryRange(expr: string, range: RangeRequest, signal?: AbortSignal): Promise<RangeAnswer> {
		const endMs = range.endMs;
		const startMs = Math.max(range.startMs, endMs - this.#options.maxWindowMs);
		if (!(endMs > startMs)) {
			throw new DeviceError(this.name, 'usage', `empty time range for ${expr}`);
		}

		const stepMs = boundedStepMs(endMs - startMs, range.stepMs, this.#options.maxPoints);
		const data = await this.#get('/api/v1/query_range', {
			query: expr,
			start: String(startMs / 1000),
			end: String(endMs / 1000),
			step: String(stepMs / 1000),
		}, signal);
		const {items, dropped} = this.#resultList(data.data, 'matrix', expr);
		const maxPoints = Math.ceil((endMs - startMs) / stepMs) + 1;
		const series: RangeSeries[] = items.map(item => {
			// A server ignoring the step would send more: only the newest points that fit are kept.
			const pairs = (Array.isArray(item.values) ? item.values : []).slice(-maxPoints);
			const times: number[] = [];
			const values: Array<number | null> = [];
			for (const pair of pairs) {
				if (Array.isArray(pair) && Number.isFinite(Number(pair[0]))) {
					times.push(Number(pair[0]) * 1000);
					values.push(sampleValue(pair[1]));
				}
			}

			return {labels: labelsOf(item.metric), times, values};
		});
		return {series, startMs, endMs, stepMs, warnings: data.warnings, droppedSeries: dropped};
	}

	/** The active scrape targets. */
	async targets(signal?: AbortSignal): Promise<{targets: PrometheusTarget[]; warnings: string[]}> {
		const data = await this.#get('/api/v1/targets', {state: 'active'}, signal);
		const active = isObject(data.data) ? data.data.activeTargets : undefined;
		if (!Array.isArray(active)) {
			throw this.#badAnswer('the targets answer has no activeTargets list');
		}

		const targets = active.slice(0, maxListEntries).filter(isObject).map(target => {
			const labels = labelsOf(target.labels);
			const health = target.health === 'up' || target.health === 'down' ? target.health : 'unknown';
			return {
				job: labels.job ?? text(target.scrapePool),
				instance: labels.instance ?? '',
				scrapeUrl: text(target.scrapeUrl),
				health,
				lastError: text(target.lastError),
				labels,
			} satisfies PrometheusTarget;
		});
		return {targets, warnings: data.warnings};
	}

	/** Alerts Prometheus's rules hold now (firing and pending). */
	async alerts(signal?: AbortSignal): Promise<{alerts: PrometheusAlert[]; warnings: string[]}> {
		const data = await this.#get('/api/v1/alerts', {}, signal);
		const list = isObject(data.data) ? data.data.alerts : undefined;
		if (!Array.isArray(list)) {
			throw this.#badAnswer('the alerts answer has no alerts list');
		}

		const alerts = list.slice(0, maxListEntries).filter(isObject).map(alert => {
			const labels = labelsOf(alert.labels);
			const state = alert.state === 'firing' || alert.state === 'pending' ? alert.state : 'inactive';
			return {
				name: labels.alertname ?? '',
				state,
				labels,
				annotations: labelsOf(alert.annotations),
				activeAt: typeof alert.activeAt === 'string' ? alert.activeAt : null,
				value: text(alert.value),
			} satisfies PrometheusAlert;
		});
		return {alerts, warnings: data.warnings};
	}

	#badAnswer(cause: string, kind: DeviceErrorKind = 'not-gokrazy'): DeviceError {
		return new DeviceError(this.name, kind, cause);
	}

	#resultList(data: unknown, expected: 'vector' | 'matrix', expr: string): {items: Json[]; dropped: number} {
		if (!isObject(data) || !Array.isArray(data.result)) {
			throw this.#badAnswer(`the answer to ${expr} has no result list`);
		}

		if (data.resultType !== expected) {
			throw this.#badAnswer(`${expr} gave a ${text(data.resultType) || 'strange'} result, not a ${expected}`, 'usage');
		}

		const items = data.result.filter(isObject);
		return {items: items.slice(0, this.#options.maxSeries), dropped: Math.max(0, items.length - this.#options.maxSeries)};
	}

	/** GET base+path?parameters; the JSON envelope's data and warnings, or a DeviceError naming the server and the cause. */
	async #get(path: string, parameters: Record<string, string>, signal?: AbortSignal): Promise<{data: unknown; warnings: string[]}> {
		const url = new URL(this.#base.href);
		url.pathname = `${this.#prefix}${path}`;
		for (const [key, value] of Object.entries(parameters)) {
			url.searchParams.set(key, value);
		}

		const timeout = AbortSignal.timeout(this.#options.timeoutMs);
		const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
		let answer: {status: number; body: Buffer};
		try {
			answer = await this.#fetch(url, combined);
		} catch (error) {
			if (signal?.aborted) {
				throw new DeviceError(this.name, 'aborted', 'request cancelled');
			}

			if (timeout.aborted) {
				throw new DeviceError(this.name, 'timeout', `no answer within ${this.#options.timeoutMs / 1000} s`);
			}

			if (isDeviceError(error)) {
				throw error;
			}

			const code = (error as NodeJS.ErrnoException).code;
			const cause = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'unknown host' : (error as Error).message;
			throw new DeviceError(this.name, 'unreachable', `not reachable (${cause})`);
		}

		let envelope: unknown;
		try {
			envelope = JSON.parse(answer.body.toString('utf8'));
		} catch {
			const kind = answer.status === 401 || answer.status === 403 ? 'auth' : answer.status === 200 ? 'not-gokrazy' : 'http';
			throw new DeviceError(this.name, kind, `answered ${answer.status} with something that is not Prometheus's API (no JSON)`, answer.status);
		}

		if (!isObject(envelope) || (envelope.status !== 'success' && envelope.status !== 'error')) {
			throw new DeviceError(this.name, 'not-gokrazy', `answered ${answer.status} with JSON that is not Prometheus's API`, answer.status);
		}

		if (envelope.status === 'error' || answer.status !== 200) {
			const errorType = text(envelope.errorType);
			const message = text(envelope.error).split('\n', 1)[0]!.slice(0, 300);
			const kind: DeviceErrorKind = answer.status === 401 || answer.status === 403 ? 'auth' : answer.status === 400 || answer.status === 422 ? 'usage' : 'http';
			throw new DeviceError(this.name, kind, `${errorType || `HTTP ${answer.status}`}: ${message || 'no reason given'}`, answer.status);
		}

		const warnings = Array.isArray(envelope.warnings) ? envelope.warnings.filter(warning => typeof warning === 'string').slice(0, 20) : [];
		return {data: envelope.data, warnings};
	}

	async #fetch(url: URL, signal: AbortSignal): Promise<{status: number; body: Buffer}> {
		const get = url.protocol === 'https:' ? https.get : http.get;
		const headers: Record<string, string> = {accept: 'application/json'};
		if (this.#authorization) {
			headers.authorization = this.#authorization;
		}

		return new Promise((resolve, reject) => {
			const request = get(url, {signal, headers, agent: this.#agent}, response => {
				readBody(response, this.name, signal).then(body => {
					resolve({status: response.statusCode ?? 0, body});
				}, reject);
			});
			request.on('error', reject);
		});
	}
}
