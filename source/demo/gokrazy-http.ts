// The init's HTTP API (authenticated.go, status.go, statuslog.go, supervise.go, update.go) on node:http, answering as the captures do.
import {randomInt, timingSafeEqual} from 'node:crypto';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {
	formatRfc3339Nano,
	goArch,
	goBase64Decode,
	goDurationString,
	goJsonEscapeHtml,
	goParseDuration,
	goParseInt32,
	goQueryEscape,
	httpDate,
	httpHtmlEscape,
	nowNs,
} from './go-format.js';
import {sendGo, sendGoError, writeGoHead, type HeaderList} from './go-http-response.js';
import {renderOverview, renderStatus, type PageDevice} from './gokrazy-pages.js';
import {diskUsage, interfaceAddresses, readMeminfo, rssOfPid} from './device-facts.js';
import type {RawLine} from './line-ring.js';
import type {SupervisedService} from './supervisor.js';

/** What the API reads and does with one service: the real supervisor's, or the light fleet's simulated one. */
export type ServiceView = Pick<SupervisedService, 'path' | 'args' | 'stopped' | 'startTime' | 'pid' | 'running' | 'stdout' | 'stderr' | 'restart' | 'stop'> & {
	/** Resident memory in bytes, for a service that is not a real process (default: read from /proc by pid). */
	rss?(): number;
};

/** The services the API fronts. */
export type ServiceHost = {
	readonly services: readonly ServiceView[];
	find(path: string): ServiceView | undefined;
};

/** What the API needs to know about the device it fronts. */
export type InitState = PageDevice & {
	password: string;
	permDir: string;
	permDev: string;
	permUuid: string;
	supervisor: ServiceHost;
	/** MemTotal and MemAvailable in bytes (default: this machine's /proc/meminfo). */
	meminfo?: () => {MemTotal: number; MemAvailable: number};
	/** Power requests: the device stops its services and goes away (and, for reboot, comes back). */
	power(kind: 'reboot' | 'poweroff', waitPerSignalMs: number): Promise<void>;
	/** Called once the answer to a power request has gone out. */
	afterPower(kind: 'reboot' | 'poweroff'): void;
	/** The /update/ endpoints (demo-updates.ts); they read the request body themselves. */
	updates?: {handle(req: IncomingMessage, res: ServerResponse): void};
};

/** Go's default wait per signal when shutting services down for a reboot. */
const defaultWaitPerSignalMs = 100_000;
/** Go's per-reader channel: 101 lines. */
const followerQueueLimit = 101;
/** Go's ParseForm limit for url-encoded bodies. */
const maxFormBody = 10 << 20;

type Form = Map<string, string[]>;

/** Go's url.QueryUnescape into a byte string; null where Go reports an error. */
function queryUnescape(text: string): string | null {
	let out = '';
	for (let index = 0; index < text.length; index++) {
		const char = text[index]!;
		if (char === '+') {
			out += ' ';
		} else if (char === '%') {
			const hexDigits = text.slice(index + 1, index + 3);
			if (!/^[0-9a-fA-F]{2}$/.test(hexDigits)) {
				return null;
			}

			out += String.fromCharCode(Number.parseInt(hexDigits, 16));
			index += 2;
		} else {
			out += Buffer.from(char, 'utf8').toString('latin1');
		}
	}

	return out;
}

/** Go's url.ParseQuery, appending to `form`; pairs Go rejects (with ';' or bad escapes) are skipped. */
function parseQueryInto(query: string, form: Form): void {
	for (const part of query.split('&')) {
		if (part === '' || part.includes(';')) {
			continue;
		}

		const equals = part.indexOf('=');
		const key = queryUnescape(equals === -1 ? part : part.slice(0, equals));
		const value = queryUnescape(equals === -1 ? '' : part.slice(equals + 1));
		if (key === null || value === null) {
			continue;
		}

		form.set(key, [...(form.get(key) ?? []), value]);
	}
}

/** r.FormValue: body values of a url-encoded POST/PUT/PATCH first, then the query string. */
function formValue(form: Form, key: string): string {
	return form.get(key)?.[0] ?? '';
}

const utf8 = (byteText: string) => Buffer.from(byteText, 'latin1').toString('utf8');

/** net/http's readCookies: the values of one cookie name, in order, skipping malformed ones. */
function cookieValues(req: IncomingMessage, name: string): string[] {
	const values: string[] = [];
	const header = req.headers.cookie;
	for (const part of (header ?? '').split(';')) {
		const trimmed = part.trim();
		const equals = trimmed.indexOf('=');
		if (equals === -1 || trimmed.slice(0, equals) !== name) {
			continue;
		}

		let value = trimmed.slice(equals + 1);
		if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) {
			value = value.slice(1, -1);
		}

		if ([...value].every(char => char >= ' ' && char < '\x7f' && char !== '"' && char !== ';' && char !== '\\')) {
			values.push(value);
		}
	}

	return values;
}

/** xsrfTokenFromCookies: the first gokrazy_xsrf cookie that parses as an int32 (0 counts as missing). */
function xsrfTokenFromCookies(req: IncomingMessage): number {
	for (const value of cookieValues(req, 'gokrazy_xsrf')) {
		const parsed = goParseInt32(value);
		if (parsed.ok) {
			return parsed.value;
		}
	}

	return 0;
}

function wantsJson(req: IncomingMessage): boolean {
	return (req.headers.accept ?? '').includes('application/json') || (req.headers['content-type'] ?? '').includes('application/json');
}

function serviceJson(service: ServiceView, utcOffsetMinutes: number) {
	return {
		Stopped: service.stopped,
		StartTime: formatRfc3339Nano(service.startTime, utcOffsetMinutes),
		Pid: service.pid,
		Path: service.path,
		Args: service.args,
		Diverted: '',
	};
}

function goJson(value: unknown): Buffer {
	return Buffer.from(goJsonEscapeHtml(JSON.stringify(value)), 'utf8');
}

/** One /log reader: Go's two 101-line channels, and a writer that blocks while the socket does not drain. */
class LogFollower {
	private readonly queues: Record<'stdout' | 'stderr', RawLine[]> = {stdout: [], stderr: []};
	private blocked = false;
	private paused = true;
	private closed = false;
	private corked = false;
	dropped = 0;

	constructor(
		private readonly req: IncomingMessage,
		private readonly res: ServerResponse,
		private readonly streamName: 'stdout' | 'stderr' | 'both',
		private readonly eventStream: boolean,
		private readonly handlerHeaders: HeaderList,
	) {}

	reader(stream: 'stdout' | 'stderr') {
		return {
			offer: (line: RawLine) => {
				const queue = this.queues[stream];
				if (this.closed) {
					return;
				}

				if (queue.length >= followerQueueLimit) {
					this.dropped++;
					return;
				}

				queue.push(line);
				this.pump();
			},
		};
	}

	start(): void {
		this.paused = false;
		this.pump();
	}

	close(): void {
		this.closed = true;
	}

	private frame(stream: 'stdout' | 'stderr', line: RawLine): string {
		if (!this.eventStream) {
			return `${line}\n`;
		}

		return `${this.streamName === 'both' ? `event: ${stream}\n` : ''}data: ${line}\n\n`;
	}

	private pump(): void {
		if (this.paused || this.blocked || this.closed) {
			return;
		}

		for (;;) {
			const {stdout, stderr} = this.queues;
			const stream = stdout.length > 0 && stderr.length > 0 ? (Math.random() < 0.5 ? 'stdout' : 'stderr') : stdout.length > 0 ? 'stdout' : stderr.length > 0 ? 'stderr' : undefined;
			if (stream === undefined) {
				return;
			}

			const bytes = Buffer.from(this.frame(stream, this.queues[stream].shift()!), 'latin1');
			if (!this.res.headersSent) {
				// Nothing, not even the status line, goes out before the first line: Go flushes headers with it.
				writeGoHead(this.req, this.res, 200, this.handlerHeaders, bytes, undefined);
			}

			if (!this.corked) {
				// Lines written in one tick leave in one syscall; each stays its own chunk, as Go flushes per line.
				this.corked = true;
				this.res.cork();
				process.nextTick(() => {
					this.corked = false;
					this.res.uncork();
				});
			}

			if (!this.res.write(bytes)) {
				this.blocked = true;
				this.res.once('drain', () => {
					this.blocked = false;
					this.pump();
				});
				return;
			}
		}
	}
}

export class GokrazyHttpApi {
	constructor(private readonly init: InitState) {}

	/** The request listener for node:http / node:https. */
	readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
		if (this.init.updates && (req.url ?? '').startsWith('/update/')) {
			// A wrong password is refused before the body is read; a right one hands the unread body on.
			if (this.authenticated(req, res)) {
				this.init.updates.handle(req, res);
			} else {
				req.resume();
			}

			return;
		}

		const method = req.method ?? 'GET';
		const isForm = ['POST', 'PUT', 'PATCH'].includes(method) && (req.headers['content-type'] ?? '').split(';')[0]!.trim() === 'application/x-www-form-urlencoded';
		if (!isForm) {
			req.resume();
			this.dispatch(req, res, new Map());
			return;
		}

		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= maxFormBody) {
				chunks.push(chunk);
			}
		});
		req.on('end', () => {
			const form: Form = new Map();
			parseQueryInto(Buffer.concat(chunks).toString('latin1'), form);
			this.dispatch(req, res, form);
		});
	};

	private dispatch(req: IncomingMessage, res: ServerResponse, form: Form): void {
		if (!this.authenticated(req, res)) {
			return;
		}

		const url = req.url ?? '/';
		const questionMark = url.indexOf('?');
		const pathname = questionMark === -1 ? url : url.slice(0, questionMark);
		if (questionMark !== -1) {
			parseQueryInto(url.slice(questionMark + 1), form);
		}

		switch (pathname) {
			case '/':
				this.overview(req, res);
				break;
			case '/status':
				this.status(req, res, form);
				break;
			case '/log':
				this.log(req, res, form);
				break;
			case '/stop':
			case '/restart':
				this.stopStart(req, res, form, pathname);
				break;
			case '/reboot':
			case '/poweroff':
				void this.power(req, res, form, pathname === '/reboot' ? 'reboot' : 'poweroff');
				break;
			default:
				sendGoError(req, res, 404, 'not found');
		}
	}

	private authenticated(req: IncomingMessage, res: ServerResponse): boolean {
		const deny = (message: string) => {
			sendGoError(req, res, 401, message, [['Www-Authenticate', 'Basic realm="gokrazy"']]);
			return false;
		};

		const authorization = req.headers.authorization ?? '';
		const space = authorization.indexOf(' ');
		if (space === -1 || authorization.slice(0, space) !== 'Basic') {
			return deny('no Basic Authorization header set');
		}

		const decoded = goBase64Decode(authorization.slice(space + 1));
		if (!decoded.ok) {
			return deny(`could not decode Authorization header as base64: illegal base64 data at input byte ${decoded.errorAt}`);
		}

		const colon = decoded.bytes.indexOf(0x3a);
		const user = colon === -1 ? undefined : decoded.bytes.subarray(0, colon).toString('latin1');
		const password = colon === -1 ? Buffer.alloc(0) : decoded.bytes.subarray(colon + 1);
		const expected = Buffer.from(this.init.password, 'utf8');
		const passwordOk = password.length === expected.length && timingSafeEqual(password, expected);
		if (user !== 'gokrazy' || !passwordOk) {
			return deny('invalid username/password');
		}

		return true;
	}

	private overview(req: IncomingMessage, res: ServerResponse): void {
		const init = this.init;
		const headers: HeaderList = [['Access-Control-Allow-Origin', '*']];
		const perm = diskUsage(init.permDir);
		const {privateAddrs, publicAddrs} = interfaceAddresses();
		const meminfo = init.meminfo?.() ?? readMeminfo();
		const services = init.supervisor.services;
		if (wantsJson(req)) {
			headers.push(['Content-Type', 'application/json']);
			const body = {
				Services: services.map(service => serviceJson(service, init.utcOffsetMinutes)),
				PermDev: init.permDev,
				PermUsed: perm.used,
				PermAvail: perm.avail,
				PermTotal: perm.total,
				PrivateAddrs: privateAddrs.length > 0 ? privateAddrs : null,
				PublicAddrs: publicAddrs.length > 0 ? publicAddrs : null,
				BuildTimestamp: init.buildTimestamp,
				SBOMHash: init.sbomHash,
				Meminfo: {MemAvailable: meminfo.MemAvailable, MemTotal: meminfo.MemTotal},
				Hostname: init.hostname,
				Model: init.model,
				PermUUID: init.permUuid,
				EEPROM: null,
				Kernel: init.kernel,
				MountDevices: [{Dev: '/mnt/usb', Used: perm.used, Avail: perm.avail, Total: perm.total}],
			};
			sendGo(req, res, 200, headers, goJson(body));
			return;
		}

		const html = renderOverview({
			...init,
			services: services.map(service => ({
				path: service.path,
				stopped: service.stopped,
				startTime: service.startTime,
				lastStdout: service.stdout.last(),
				lastStderr: service.stderr.last(),
				rss: service.running ? (service.rss?.() ?? rssOfPid(service.pid)) : 0,
			})),
			initRss: rssOfPid(process.pid),
			meminfo,
			perm,
			mounts: [{dev: '/mnt/usb', ...perm}],
			privateAddrs,
			publicAddrs,
			now: nowNs(),
		});
		sendGo(req, res, 200, headers, Buffer.from(html, 'latin1'));
	}

	private status(req: IncomingMessage, res: ServerResponse, form: Form): void {
		const cookieToken = xsrfTokenFromCookies(req);
		// A new token only when the old one is gone, so a form loaded in another tab stays usable.
		const token = cookieToken === 0 ? randomInt(1, 2 ** 31) : cookieToken;
		const headers: HeaderList = [
			['Access-Control-Allow-Origin', '*'],
			['Set-Cookie', `gokrazy_xsrf=${token}; Expires=${httpDate(Date.now() + 24 * 3600 * 1000)}; HttpOnly`],
		];
		const service = this.init.supervisor.find(utf8(formValue(form, 'path')));
		if (!service) {
			sendGoError(req, res, 404, 'service not found', headers);
			return;
		}

		if (wantsJson(req)) {
			headers.push(['Content-Type', 'application/json']);
			sendGo(req, res, 200, headers, goJson(serviceJson(service, this.init.utcOffsetMinutes)));
			return;
		}

		headers.push(['X-Gokrazy-Goarch', goArch()], ['X-Gokrazy-Status', service.stopped ? 'stopped' : 'started']);
		const html = renderStatus({...this.init, path: service.path, stopped: service.stopped, startTime: service.startTime, xsrfToken: token});
		sendGo(req, res, 200, headers, Buffer.from(html, 'latin1'));
	}

	private log(req: IncomingMessage, res: ServerResponse, form: Form): void {
		const headers: HeaderList = [['Access-Control-Allow-Origin', '*']];
		const eventStream = (req.headers.accept ?? '').includes('text/event-stream');
		if (eventStream) {
			headers.push(['Content-Type', 'text/event-stream'], ['Cache-Control', 'no-cache'], ['Connection', 'keep-alive']);
		}

		const service = this.init.supervisor.find(utf8(formValue(form, 'path')));
		if (!service) {
			sendGoError(req, res, 404, 'service not found', headers);
			return;
		}

		const streamName = formValue(form, 'stream');
		if (streamName !== 'stdout' && streamName !== 'stderr' && streamName !== 'both') {
			sendGoError(req, res, 404, 'stream not found', headers);
			return;
		}

		const follower = new LogFollower(req, res, streamName, eventStream, headers);
		const unsubscribers: Array<() => void> = [];
		if (streamName !== 'stderr') {
			unsubscribers.push(service.stdout.follow(follower.reader('stdout')));
		}

		if (streamName !== 'stdout') {
			unsubscribers.push(service.stderr.follow(follower.reader('stderr')));
		}

		res.on('close', () => {
			follower.close();
			for (const unsubscribe of unsubscribers) {
				unsubscribe();
			}
		});
		follower.start();
	}

	private stopStart(req: IncomingMessage, res: ServerResponse, form: Form, action: '/stop' | '/restart'): void {
		if (req.method !== 'POST') {
			sendGoError(req, res, 400, 'expected a POST request');
			return;
		}

		const cookieToken = xsrfTokenFromCookies(req);
		if (cookieToken === 0) {
			sendGoError(req, res, 400, 'XSRF cookie missing');
			return;
		}

		const formToken = goParseInt32(formValue(form, 'xsrftoken'));
		if (!formToken.ok) {
			sendGoError(req, res, 400, `parsing XSRF token form value: ${formToken.error}`);
			return;
		}

		if (formToken.value !== cookieToken) {
			sendGoError(req, res, 403, 'XSRF token mismatch');
			return;
		}

		const signal = formValue(form, 'signal') === 'kill' ? 'SIGKILL' : 'SIGTERM';
		const path = utf8(formValue(form, 'path'));
		const service = this.init.supervisor.find(path);
		if (!service) {
			sendGoError(req, res, 404, 'no such service');
			return;
		}

		if (action === '/restart') {
			service.restart(signal, formValue(form, 'supervise') === 'once');
		} else {
			service.stop(signal);
		}

		sendGo(req, res, 303, [['Location', `/status?path=${goQueryEscape(path)}`]]);
	}

	private async power(req: IncomingMessage, res: ServerResponse, form: Form, kind: 'reboot' | 'poweroff'): Promise<void> {
		if (req.method !== 'POST') {
			sendGoError(req, res, 400, 'expected a POST request');
			return;
		}

		let waitPerSignalMs = defaultWaitPerSignalMs;
		const waitText = formValue(form, 'wait_per_signal');
		if (waitText !== '') {
			const parsed = goParseDuration(utf8(waitText));
			if (!parsed.ok) {
				sendGoError(req, res, 400, parsed.error);
				return;
			}

			waitPerSignalMs = parsed.ns / 1e6;
		}

		const farewell = kind === 'reboot' ? 'Rebooting...\n' : 'Powering off...\n';
		res.once('finish', () => {
			this.init.afterPower(kind);
		});
		if (formValue(form, 'async') === 'true') {
			sendGo(req, res, 200, [], farewell);
			void this.init.power(kind, waitPerSignalMs);
			return;
		}

		const start = process.hrtime.bigint();
		await this.init.power(kind, waitPerSignalMs);
		const killed = Buffer.from(`All services killed in ${goDurationString(process.hrtime.bigint() - start)}\n`, 'utf8');
		writeGoHead(req, res, 200, [], killed, undefined);
		res.write(killed);
		res.end(farewell);
	}
}

/** The plain-HTTP side of a TLS device: every request, any method, no credentials asked, goes to https. */
export function httpsRedirectHandler(httpsPort: number) {
	return (req: IncomingMessage, res: ServerResponse): void => {
		req.resume();
		const hostHeader = req.headers.host ?? '';
		const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
		const location = `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}`;
		const headers: HeaderList = [['Location', location]];
		let body = '';
		if (req.method === 'GET' || req.method === 'HEAD') {
			headers.push(['Content-Type', 'text/html; charset=utf-8']);
			body = `<a href="${httpHtmlEscape(location)}">Found</a>.\n\n`;
		}

		sendGo(req, res, 302, headers, body);
	};
}
