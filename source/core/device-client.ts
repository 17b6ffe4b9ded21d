// The HTTP client for one gokrazy device: overview, service status, supervision through the XSRF flow, power, logs.
import type {IncomingHttpHeaders} from 'node:http';
import {setTimeout as sleep} from 'node:timers/promises';
import {DeviceError} from './device-error.js';
import type {DeviceTarget} from './device-target.js';
import type {DeviceOverview, HtmlOverview, LogStreamChoice, ServiceStatus} from './device-model.js';
import {HttpTransport, type HttpResponse} from './http-transport.js';
import {LogStream, type LogStreamOptions} from './log-stream.js';
import type {ShapeError} from './overview-parser.js';
import {readLimits} from './read-limits.js';
import {oneLine} from './sanitize-terminal.js';

export type DeviceClientOptions = {
	/** Connect timeout and (except for /log) response timeout; 5 s by default. */
	timeoutMs?: number;
	/** Cancels every request and wait of this client at once (a command's Ctrl-C). */
	signal?: AbortSignal;
};

/** What the HTML variant of /status says about a service (breakglass needs it). */
export type ServiceHtmlStatus = {
	status: 'started' | 'stopped';
	/** GOARCH of the device, from X-Gokrazy-GOARCH. */
	goarch: string;
};

export type SuperviseOptions = {
	/** SIGKILL instead of SIGTERM. */
	kill?: boolean;
};

export type RestartOptions = SuperviseOptions & {
	/** supervise=once: run once, then stay stopped. */
	once?: boolean;
};

export const defaultTimeoutMs = 5000;

/** Inits before 2023-02-15 look only at Content-Type, newer ones at Accept: send both. */
/**
 * The parsers (and their HTML entity tables), loaded with the first request rather than with the client: a dashboard's
 * first frame, drawn before any poll, does not wait for them, and the first answer's network time hides their load.
 */
const parsers = async () => import('./overview-parser.js');

const jsonHeaders = {Accept: 'application/json', 'Content-Type': 'application/json'};

/** Reboot and power off stop every service first (up to ~100 s per signal) before the init answers. */
const powerTimeoutMs = 250_000;

export class DeviceClient {
	readonly transport: HttpTransport;
	private readonly timeoutMs: number;
	private readonly signal: AbortSignal | undefined;
	/** Learned once: this init answers 404 to stream=both (before 2025-04). */
	noBothStream = false;

	constructor(readonly target: DeviceTarget, options: DeviceClientOptions = {}) {
		this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
		this.signal = options.signal;
		this.transport = new HttpTransport(target);
	}

	private get device(): string {
		return this.target.name;
	}

	/** GET / as JSON. */
	async overview(signal?: AbortSignal): Promise<DeviceOverview> {
		const [response, {parseOverview, ShapeError}] = await Promise.all([this.get('/', jsonHeaders, signal), parsers()]);
		return this.json(response, parseOverview, 'the device overview', ShapeError);
	}

	/** GET /status?path= as JSON; unknown path → DeviceError 'unknown-service'. */
	async service(path: string, signal?: AbortSignal): Promise<ServiceStatus> {
		const [response, {parseServiceStatus, ShapeError}] = await Promise.all([this.get(statusPath(path), jsonHeaders, signal), parsers()]);
		this.expectService(response, path);
		return this.json(response, parseServiceStatus, `the status of ${path}`, ShapeError);
	}

	/** GET / as HTML: per-service RSS and last log lines. */
	async htmlOverview(signal?: AbortSignal): Promise<HtmlOverview> {
		const [response, {parseHtmlOverview}] = await Promise.all([this.get('/', {Accept: 'text/html'}, signal), parsers()]);
		this.expectOk(response);
		const html = response.body.toString('utf8');
		if (!/gokrazy/i.test(html) || !/<html/i.test(html)) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} is not a gokrazy device (its overview page is not gokrazy's)`);
		}

		return parseHtmlOverview(html);
	}

	/** GET /status?path= as HTML: X-Gokrazy-Status and X-Gokrazy-GOARCH. */
	async serviceHtmlStatus(path: string, signal?: AbortSignal): Promise<ServiceHtmlStatus> {
		const response = await this.get(statusPath(path), {Accept: 'text/html'}, signal);
		this.expectService(response, path);
		const status = header(response.headers, 'x-gokrazy-status');
		if (status !== 'started' && status !== 'stopped') {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} did not say whether ${path} runs (no X-Gokrazy-Status header)`);
		}

		return {status, goarch: header(response.headers, 'x-gokrazy-goarch') ?? ''};
	}

	async stop(path: string, options: SuperviseOptions = {}): Promise<void> {
		await this.supervise('/stop', path, {signal: options.kill ? 'kill' : undefined});
	}

	/**
	 * Restart. With `once` the init kills a running process and counts that run as the single one (it then stays
	 * stopped), so for a running service this waits for it to stop and starts it once more: a real "run once now". A
	 * crash-looping service caught between two runs needs no second start: its next run is the single one.
	 */
	async restart(path: string, options: RestartOptions = {}): Promise<void> {
		const signal = options.kill ? 'kill' : undefined;
		if (!options.once) {
			await this.supervise('/restart', path, {signal});
			return;
		}

		const before = await this.service(path);
		await this.supervise('/restart', path, {signal, supervise: 'once'});
		if (before.stopped) {
			return;
		}

		// The init shows the last pid until the next process runs: stopped with that same pid is the killed run.
		const next = await this.waitForStatus(path, status => status.stopped || (status.pid !== 0 && status.pid !== before.pid), 'stop or start again');
		if (next.stopped && next.pid === before.pid) {
			await this.supervise('/restart', path, {supervise: 'once'});
		}
	}

	/** Restart of a stopped service, which is how the init starts one. */
	async start(path: string, options: {once?: boolean} = {}): Promise<void> {
		await this.supervise('/restart', path, {supervise: options.once ? 'once' : undefined});
	}

	/**
	 * The init shows the old Pid until the new process runs (about 1 s after the old one exited): poll until the pid
	 * differs from `oldPid` and is not 0, or the service stopped (a run-once that already ended).
	 */
	async waitForNewPid(path: string, oldPid: number, timeoutMs = 10_000): Promise<ServiceStatus> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const status = await this.service(path);
			if (status.pid !== 0 && status.pid !== oldPid) {
				return status;
			}

			if (Date.now() > deadline) {
				throw new DeviceError(this.device, 'timeout', `${path} did not start again within ${Math.round(timeoutMs / 1000)} s (pid still ${status.pid})`);
			}

			await this.pause(200);
		}
	}

	/** Polls /status every 100 ms until `done` says so; a timeout error says what `path` did not do. */
	private async waitForStatus(path: string, done: (status: ServiceStatus) => boolean, what: string, timeoutMs = 10_000): Promise<ServiceStatus> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const status = await this.service(path);
			if (done(status)) {
				return status;
			}

			if (Date.now() > deadline) {
				throw new DeviceError(this.device, 'timeout', `${path} did not ${what} within ${Math.round(timeoutMs / 1000)} s`);
			}

			await this.pause(100);
		}
	}

	/** Stops every service, then reboots. The caller confirms with the user first: the device asks nothing. */
	async reboot(): Promise<void> {
		await this.power('/reboot');
	}

	/** Stops every service, then powers off. The caller confirms with the user first. */
	async powerOff(): Promise<void> {
		await this.power('/poweroff');
	}

	logs(path: string, stream: LogStreamChoice, options: LogStreamOptions = {}): LogStream {
		return new LogStream(this, path, stream, options);
	}

	/** Closes kept-alive connections. */
	close(): void {
		this.transport.close();
	}

	/** Timeout used for connects (also by log streams). */
	get connectTimeoutMs(): number {
		return this.timeoutMs;
	}

	private async get(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
		const response = await this.transport.request({method: 'GET', path, headers, timeoutMs: this.timeoutMs, signal: this.signalWith(signal)});
		this.expectAuthorized(response);
		return response;
	}

	/** The client's own signal joined with a call's. */
	private signalWith(signal: AbortSignal | undefined): AbortSignal | undefined {
		if (!this.signal || !signal) {
			return this.signal ?? signal;
		}

		return AbortSignal.any([this.signal, signal]);
	}

	/** Waits between polls; the client's signal ends the wait at once. */
	private async pause(ms: number): Promise<void> {
		try {
			await sleep(ms, undefined, {signal: this.signal});
		} catch {
			throw new DeviceError(this.device, 'aborted', 'request cancelled');
		}
	}

	private expectAuthorized(response: HttpResponse): void {
		if (response.status !== 401) {
			return;
		}

		const said = firstLine(response.body);
		const realm = oneLine(header(response.headers, 'www-authenticate') ?? '', readLimits.messageFieldChars);
		if (!/realm="gokrazy"/.test(realm)) {
			throw new DeviceError(this.device, 'auth', `${this.transport.hostPort} wants a password, but it does not look like a gokrazy device (${realm || 'no realm'})`, 401);
		}

		if (!this.target.password) {
			throw new DeviceError(this.device, 'auth', 'no password known for this device (give it in the URL, --password-file or KRAZY_PASSWORD)', 401);
		}

		throw new DeviceError(this.device, 'auth', `wrong password (the device said: ${said || '401'})`, 401);
	}

	private expectOk(response: HttpResponse): void {
		if (response.status === 200) {
			return;
		}

		const said = firstLine(response.body);
		if (response.status === 404) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} answered 404 (${said}): not a gokrazy device?`, 404);
		}

		throw new DeviceError(this.device, 'http', `HTTP ${response.status} from ${this.transport.hostPort}${said ? `: ${said}` : ''}`, response.status);
	}

	private expectService(response: HttpResponse, path: string): void {
		if (response.status === 404 && /service not found|no such service/.test(response.body.toString('utf8'))) {
			throw new DeviceError(this.device, 'unknown-service', `no service ${path} on the device`, 404);
		}

		this.expectOk(response);
	}

	private json<T>(response: HttpResponse, parse: (value: unknown) => T, what: string, shapeError: typeof ShapeError): T {
		this.expectOk(response);
		const type = header(response.headers, 'content-type') ?? '';
		const text = response.body.toString('utf8');
		if (/text\/html/.test(type) || /^\s*</.test(text)) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} is not a gokrazy device (it answered HTML where JSON was asked for ${what}; an init from before 2021 has no JSON API)`);
		}

		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} is not a gokrazy device (${what} is not JSON: ${JSON.stringify(text.slice(0, 40))})`);
		}

		try {
			return parse(value);
		} catch (error) {
			if (error instanceof shapeError) {
				throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} is not a gokrazy device (${error.message})`);
			}

			throw error;
		}
	}

	/** GET /status for the XSRF cookie, then POST with the cookie and the same token in the form. */
	private async supervise(endpoint: '/stop' | '/restart', path: string, fields: Record<string, string | undefined>): Promise<void> {
		const status = await this.get(statusPath(path), jsonHeaders);
		this.expectService(status, path);
		const token = xsrfToken(status.headers);
		if (token === undefined) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.transport.hostPort} sent no XSRF cookie with the status of ${path}`);
		}

		const form = new URLSearchParams({path, xsrftoken: token});
		for (const [key, value] of Object.entries(fields)) {
			if (value !== undefined) {
				form.set(key, value);
			}
		}

		const response = await this.transport.request({
			method: 'POST',
			path: endpoint,
			headers: {'Content-Type': 'application/x-www-form-urlencoded', Cookie: `gokrazy_xsrf=${token}`},
			body: form.toString(),
			timeoutMs: this.timeoutMs,
			signal: this.signal,
		});
		this.expectAuthorized(response);
		if (response.status === 303 || response.status === 200) {
			return;
		}

		const said = firstLine(response.body);
		if (response.status === 404) {
			throw new DeviceError(this.device, 'unknown-service', `no service ${path} on the device`, 404);
		}

		const action = endpoint.slice(1);
		throw new DeviceError(this.device, 'http', `${action} ${path} refused: HTTP ${response.status} ${said}`, response.status);
	}

	private async power(endpoint: '/reboot' | '/poweroff'): Promise<void> {
		let response: HttpResponse;
		try {
			response = await this.transport.request({method: 'POST', path: endpoint, timeoutMs: powerTimeoutMs, signal: this.signal});
		} catch (error) {
			// The device may go away before the answer is complete: that is what was asked for.
			if (error instanceof DeviceError && error.kind === 'unreachable' && /dropped/.test(error.causeText)) {
				return;
			}

			throw error;
		}

		this.expectAuthorized(response);
		this.expectOk(response);
	}
}

/** The first line of an error answer's body, cleaned and short: all of it a message shows. */
function firstLine(body: Buffer): string {
	const text = body.subarray(0, readLimits.messageFieldChars * 8).toString('utf8').trim();
	return oneLine(text.split('\n', 1)[0]!.trim(), readLimits.messageFieldChars);
}

function statusPath(path: string): string {
	return `/status?path=${encodeURIComponent(path)}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
	const value = headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** A supervision request: restart, stop or start, with SIGKILL and run-once as gokrazy offers them. */
export type ServiceAct = {kind: 'restart' | 'stop' | 'start'; kill?: boolean; once?: boolean};

/** How long an action waits for the device to show its new process (a service may take its time to exit on SIGTERM). */
export const actionWaitMs = 20_000;

/**
 * Acts on a service and waits for what became of it, the one place this sequence is written: the dashboard's
 * actions and `krazy-tui restart|stop|start` both come here. A restart or start waits for a new pid (not 0, not the
 * one before) unless `wait` is false; a stop reads the status once. `oldPid` is the pid the caller saw (else read now).
 */
export async function actOnService(
	client: Pick<DeviceClient, 'service' | 'stop' | 'restart' | 'start' | 'waitForNewPid'>,
	path: string,
	act: ServiceAct,
	options: {oldPid?: number; wait?: boolean; timeoutMs?: number} = {},
): Promise<ServiceStatus> {
	const oldPid = options.oldPid ?? (await client.service(path)).pid;
	switch (act.kind) {
		case 'stop': {
			await client.stop(path, {kill: act.kill});
			return client.service(path);
		}

		case 'restart': {
			await client.restart(path, {kill: act.kill, once: act.once});
			break;
		}

		case 'start': {
			await client.start(path, {once: act.once});
			break;
		}
	}

	return options.wait === false ? client.service(path) : client.waitForNewPid(path, oldPid, options.timeoutMs ?? actionWaitMs);
}

/** The gokrazy_xsrf value from Set-Cookie. */
export function xsrfToken(headers: IncomingHttpHeaders): string | undefined {
	for (const cookie of headers['set-cookie'] ?? []) {
		const match = /^gokrazy_xsrf=([^;]*)/.exec(cookie);
		if (match) {
			return match[1];
		}
	}

	return undefined;
}
