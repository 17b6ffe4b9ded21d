// Raw HTTP(S) exchanges with one device: Basic auth, pinned certificates, one shared HTTPS upgrade, bounded reads, typed errors.
import http from 'node:http';
import https from 'node:https';
import tls, {type PeerCertificate} from 'node:tls';
import {X509Certificate} from 'node:crypto';
import type {Socket} from 'node:net';
import {DeviceError} from './device-error.js';
import {gokrazyUser, type DeviceTarget} from './device-target.js';
import {readLimits} from './read-limits.js';

export type HttpRequest = {
	method: 'GET' | 'POST' | 'HEAD';
	/** Path with query string, starting with "/". */
	path: string;
	headers?: Record<string, string>;
	body?: string;
	/** Overall deadline for connect + complete answer; 0 = none (streams). */
	timeoutMs: number;
	signal?: AbortSignal;
	/** Most bytes of a successful answer's body (default readLimits.answerBytes); more is an error. */
	maxBytes?: number;
};

export type HttpResponse = {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
};

type Pin = {der: Buffer; path?: string};

function pinFromPem(pem: string, path?: string): Pin {
	return {der: new X509Certificate(pem).raw, path};
}

/**
 * One device's transport: a kept-alive agent for short requests, fresh connections for streams, and the
 * HTTPS upgrade learned once, from the first redirect, and shared by every request then in flight or later.
 */
export class HttpTransport {
	private base: URL;
	private readonly auth: string;
	private readonly pin: Pin | undefined;
	private agent: http.Agent;
	/** Requests still using each shared agent: an agent replaced by the upgrade is destroyed only when it is idle. */
	private readonly inFlight = new Map<http.Agent, number>();
	private retired: http.Agent | undefined;

	constructor(private readonly target: DeviceTarget) {
		this.base = new URL(target.url);
		this.auth = 'Basic ' + Buffer.from(`${gokrazyUser}:${target.password ?? ''}`, 'utf8').toString('base64');
		this.pin = target.certificate ? pinFromPem(target.certificate, target.certificatePath) : undefined;
		this.agent = this.makeAgent(true);
	}

	get device(): string {
		return this.target.name;
	}

	/** host:port as the user would type it, for messages. */
	get hostPort(): string {
		const port = this.base.port || (this.base.protocol === 'https:' ? '443' : '80');
		return `${this.base.hostname.replace(/^\[|\]$/g, '')}:${port}`;
	}

	close(): void {
		this.agent.destroy();
		this.retired?.destroy();
	}

	/**
	 * A complete exchange, redirects to HTTPS on the same host followed. A successful answer's body is read whole
	 * (at most `maxBytes`, within the deadline); an error answer's body only in part (readErrorBody), since only its
	 * first line is ever shown.
	 */
	async request(request: HttpRequest): Promise<HttpResponse> {
		for (let redirects = 0; ; redirects++) {
			const over = this.base.protocol;
			const response = await this.exchange(request, false);
			if (this.isHttpsUpgrade(response, over) && redirects < 2) {
				discard(response);
				this.learnUpgrade(response);
				continue;
			}

			const status = response.statusCode ?? 0;
			const body = status >= 200 && status < 300
				? await readBody(response, this.device, request.signal, request.maxBytes)
				: await readErrorBody(response, this.device, request.signal);
			return {status, headers: response.headers, body};
		}
	}

	/** A stream: resolves with the response once its headers arrive (which may be never, for a quiet /log). */
	async stream(request: HttpRequest, onConnected?: () => void): Promise<http.IncomingMessage> {
		for (let redirects = 0; ; redirects++) {
			const over = this.base.protocol;
			const response = await this.exchange(request, true, onConnected);
			if (this.isHttpsUpgrade(response, over) && redirects < 2) {
				discard(response);
				this.learnUpgrade(response);
				continue;
			}

			return response;
		}
	}

	/** `over` is the protocol the request went out with: another request may have learned the upgrade meanwhile. */
	private isHttpsUpgrade(response: http.IncomingMessage, over: string): boolean {
		const status = response.statusCode ?? 0;
		return (status === 301 || status === 302 || status === 307 || status === 308) && typeof response.headers.location === 'string'
			&& over === 'http:' && response.headers.location.startsWith('https:');
	}

	/**
	 * gokrazy's HTTP port redirects everything to HTTPS on the Host it was asked for: follow only to the same host.
	 * The first redirect switches the device over; requests that were already on their way over HTTP get the same
	 * redirect and just retry on the new base. The old agent is destroyed once its last request ends, so no request
	 * loses its connection to another one's upgrade.
	 */
	private learnUpgrade(response: http.IncomingMessage): void {
		let location: URL;
		try {
			location = new URL(response.headers.location!);
		} catch {
			throw new DeviceError(this.device, 'http', 'redirected to an address that is not a URL; not following');
		}

		if (location.hostname !== this.base.hostname) {
			throw new DeviceError(this.device, 'http', `redirected to another host (${location.host}); not following`);
		}

		if (this.base.protocol === 'https:') {
			return; // Learned already, from a request answered first.
		}

		this.base = new URL(`https://${location.host}`);
		const old = this.agent;
		this.agent = this.makeAgent(true);
		if ((this.inFlight.get(old) ?? 0) === 0) {
			old.destroy();
		} else {
			this.retired = old;
		}
	}

	private hold(agent: http.Agent): () => void {
		this.inFlight.set(agent, (this.inFlight.get(agent) ?? 0) + 1);
		let released = false;
		return () => {
			if (released) {
				return;
			}

			released = true;
			const left = (this.inFlight.get(agent) ?? 1) - 1;
			if (left > 0) {
				this.inFlight.set(agent, left);
				return;
			}

			this.inFlight.delete(agent);
			if (agent === this.retired) {
				this.retired = undefined;
				agent.destroy();
			}
		};
	}

	private makeAgent(keepAlive: boolean): http.Agent {
		if (this.base.protocol === 'https:') {
			return new https.Agent({keepAlive, maxSockets: 4, ...this.tlsOptions()});
		}

		return new http.Agent({keepAlive, maxSockets: 4});
	}

	private tlsOptions(): https.AgentOptions {
		const pin = this.pin;
		if (!pin) {
			return {};
		}

		// Trust exactly the pinned certificate: it is the only CA, and the leaf must be byte-identical to it, so a
		// self-signed certificate whose name does not match the address still verifies, and nothing else does.
		return {
			ca: [new X509Certificate(pin.der).toString(), ...tls.rootCertificates],
			checkServerIdentity(_host: string, cert: PeerCertificate) {
				if (cert.raw && Buffer.compare(cert.raw, pin.der) === 0) {
					return undefined;
				}

				return new Error('certificate does not match the pinned certificate');
			},
		};
	}

	private exchange(request: HttpRequest, streaming: boolean, onConnected?: () => void): Promise<http.IncomingMessage> {
		const {device} = this;
		const isHttps = this.base.protocol === 'https:';
		const module_ = isHttps ? https : http;
		const timeoutSeconds = Math.round(request.timeoutMs / 100) / 10;
		if (request.signal?.aborted) {
			return Promise.reject(new DeviceError(device, 'aborted', 'request cancelled'));
		}

		return new Promise((resolve, reject) => {
			let settled = false;
			let timer: NodeJS.Timeout | undefined;
			const agent = streaming ? new module_.Agent({keepAlive: false, ...(isHttps ? this.tlsOptions() : {})}) : this.agent;
			const release = streaming ? () => undefined : this.hold(agent);
			const fail = (error: DeviceError) => {
				if (settled) {
					return;
				}

				settled = true;
				clearTimeout(timer);
				request.signal?.removeEventListener('abort', onAbort);
				req.destroy();
				release();
				reject(error);
			};

			const req = module_.request({
				protocol: this.base.protocol,
				hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
				port: this.base.port || undefined,
				method: request.method,
				path: request.path,
				agent,
				headers: {
					Authorization: this.auth,
					...request.headers,
					...(request.body === undefined ? {} : {'Content-Length': String(Buffer.byteLength(request.body))}),
				},
			});

			const onAbort = () => {
				fail(new DeviceError(device, 'aborted', 'request cancelled'));
			};

			request.signal?.addEventListener('abort', onAbort, {once: true});

			let answered: http.IncomingMessage | undefined;
			if (request.timeoutMs > 0) {
				timer = setTimeout(() => {
					const error = new DeviceError(device, 'timeout', `no answer from ${this.hostPort} after ${timeoutSeconds} s`);
					if (answered) {
						// Headers came, the body stalls: end it with the same error readBody will pass on.
						answered.destroy(error);
					} else {
						fail(error);
					}
				}, request.timeoutMs);
			}

			req.on('socket', (socket: Socket) => {
				const connected = () => {
					if (!keptAlive.has(socket)) {
						keptAlive.add(socket);
						socket.setKeepAlive(true, 10_000);
					}

					if (streaming) {
						// A /log answer may not come for a long time: only the connect is timed.
						clearTimeout(timer);
						onConnected?.();
					}
				};

				if (socket.connecting) {
					socket.once(isHttps ? 'secureConnect' : 'connect', connected);
				} else {
					connected();
				}
			});

			req.on('response', response => {
				if (settled) {
					response.resume();
					return;
				}

				settled = true;
				answered = response;
				response.once('close', release);
				request.signal?.removeEventListener('abort', onAbort);
				if (streaming) {
					clearTimeout(timer);
				} else {
					// Keep the deadline running over the body; readBody clears it.
					(response as ResponseWithTimer).deadline = timer;
				}

				resolve(response);
			});

			req.on('error', (error: NodeJS.ErrnoException) => {
				fail(this.translate(error));
			});

			req.end(request.body);
		});
	}

	private translate(error: NodeJS.ErrnoException): DeviceError {
		const {device, hostPort} = this;
		const code = error.code ?? '';
		switch (code) {
			case 'ECONNREFUSED': {
				return new DeviceError(device, 'unreachable', `connection refused by ${hostPort} (is the device up?)`);
			}

			case 'EHOSTUNREACH':
			case 'ENETUNREACH':
			case 'EHOSTDOWN':
			case 'ENETDOWN': {
				return new DeviceError(device, 'unreachable', `cannot reach ${hostPort} (${code})`);
			}

			case 'ENOTFOUND':
			case 'EAI_AGAIN': {
				return new DeviceError(device, 'unreachable', `cannot resolve host ${this.base.hostname}`);
			}

			case 'ECONNRESET':
			case 'EPIPE': {
				return new DeviceError(device, 'unreachable', `connection to ${hostPort} dropped`);
			}

			case 'ETIMEDOUT': {
				return new DeviceError(device, 'timeout', `no answer from ${hostPort}`);
			}

			case 'DEPTH_ZERO_SELF_SIGNED_CERT':
			case 'SELF_SIGNED_CERT_IN_CHAIN':
			case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
			case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
			case 'ERR_TLS_CERT_ALTNAME_INVALID':
			case 'CERT_HAS_EXPIRED':
			case 'CERT_NOT_YET_VALID': {
				return this.tlsError(code);
			}

			case 'EPROTO':
			case 'ERR_SSL_WRONG_VERSION_NUMBER': {
				return new DeviceError(device, 'tls', `${hostPort} does not speak TLS here (${code})`);
			}

			default: {
				if (/certificate/i.test(error.message)) {
					return this.tlsError(error.message);
				}

				if (/^(HPE_|ERR_HTTP|ERR_INVALID_HTTP)/.test(code) || /Parse Error/i.test(error.message)) {
					return new DeviceError(device, 'not-gokrazy', `${hostPort} does not answer HTTP (${code || error.message})`);
				}

				return new DeviceError(device, 'unreachable', `${hostPort}: ${error.message}`);
			}
		}
	}

	private tlsError(detail: string): DeviceError {
		if (this.pin) {
			const where = this.pin.path ? ` pinned from ${this.pin.path}` : ' pinned for it';
			return new DeviceError(this.device, 'tls', `TLS certificate of ${this.hostPort} does not match the certificate${where} (${detail})`);
		}

		return new DeviceError(this.device, 'tls', `TLS certificate of ${this.hostPort} is not trusted (${detail}); gok keeps a self-signed device certificate in ~/.config/gokrazy/hosts/<hostname>/cert.pem`);
	}
}

/** Sockets already set to TCP keep-alive (a kept-alive socket serves many requests). */
const keptAlive = new WeakSet<Socket>();

type ResponseWithTimer = http.IncomingMessage & {deadline?: NodeJS.Timeout};

/** An answer not to be read (a redirect): its deadline stops, its bytes are drained. */
function discard(response: http.IncomingMessage): void {
	clearTimeout((response as ResponseWithTimer).deadline);
	response.resume();
}

function sizeText(bytes: number): string {
	return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * Reads a whole answer (at most `maxBytes`, by default readLimits.answerBytes); a dropped connection, a bigger answer
 * or a cancel (noticed at once, even while the device sends nothing) is a DeviceError naming `device`.
 */
export async function readBody(response: http.IncomingMessage, device: string, signal?: AbortSignal, maxBytes: number = readLimits.answerBytes): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	const onAbort = () => {
		response.destroy(new DeviceError(device, 'aborted', 'request cancelled'));
	};

	signal?.addEventListener('abort', onAbort, {once: true});
	try {
		if (signal?.aborted) {
			throw new DeviceError(device, 'aborted', 'request cancelled');
		}

		for await (const chunk of response) {
			size += (chunk as Buffer).length;
			if (size > maxBytes) {
				response.destroy();
				throw new DeviceError(device, 'not-gokrazy', `answer larger than ${sizeText(maxBytes)}`);
			}

			chunks.push(chunk as Buffer);
		}
	} catch (error) {
		if (error instanceof DeviceError) {
			throw error;
		}

		throw new DeviceError(device, 'unreachable', `connection dropped while reading the answer (${(error as Error).message})`);
	} finally {
		signal?.removeEventListener('abort', onAbort);
		clearTimeout((response as ResponseWithTimer).deadline);
	}

	return Buffer.concat(chunks);
}

/**
 * The start of an error answer's body: at most readLimits.errorBodyBytes, whatever came within
 * readLimits.errorBodyMs (or before the connection dropped); then the answer is abandoned. Only a cancel throws.
 */
export async function readErrorBody(response: http.IncomingMessage, device: string, signal?: AbortSignal): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let finished = false;
		const done = (error?: DeviceError) => {
			if (finished) {
				return;
			}

			finished = true;
			clearTimeout(timer);
			clearTimeout((response as ResponseWithTimer).deadline);
			signal?.removeEventListener('abort', onAbort);
			response.off('data', onData);
			if (!response.complete) {
				response.destroy();
			}

			if (error) {
				reject(error);
			} else {
				resolve(Buffer.concat(chunks));
			}
		};

		const onAbort = () => {
			done(new DeviceError(device, 'aborted', 'request cancelled'));
		};

		const onData = (chunk: Buffer) => {
			const room = readLimits.errorBodyBytes - size;
			chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
			size += Math.min(room, chunk.length);
			if (size >= readLimits.errorBodyBytes) {
				done();
			}
		};

		const timer = setTimeout(() => {
			done();
		}, readLimits.errorBodyMs);
		if (signal?.aborted) {
			onAbort();
			return;
		}

		signal?.addEventListener('abort', onAbort, {once: true});
		response.on('data', onData);
		response.once('end', () => {
			done();
		});
		response.once('error', () => {
			done();
		});
		response.once('close', () => {
			done();
		});
	});
}
