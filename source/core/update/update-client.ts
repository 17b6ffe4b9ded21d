// The init's update protocol (gokrazy/updater's Target): feature negotiation, streamed PUTs answered with a hash, switch and testboot; its own connections, since a push streams a body the shared transport does not send.
import {createHash} from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {X509Certificate} from 'node:crypto';
import {open} from 'node:fs/promises';
import {Readable} from 'node:stream';
import tls, {type PeerCertificate} from 'node:tls';
import {DeviceError} from '../device-error.js';
import {gokrazyUser, type DeviceTarget} from '../device-target.js';

export type PushProgress = {bytes: number; total: number; elapsedMs: number};

/** A part's bytes: a range of a file (a stored zip entry: read into reused buffers), or a stream (an inflated one). */
export type PushSource = Readable | {file: string; start: number; length: number};

export type PushResult = {
	bytes: number;
	elapsedMs: number;
	/** SHA-256 of what was sent, in hex. */
	ownHash: string;
	/** What the device answered: the hex hash of what it wrote. */
	deviceHash: string;
};

/** The device has no handler for this part (an old init, or a model without device-specific files). */
export class NotImplementedError extends DeviceError {}

export type UpdateClientOptions = {
	/** Connect and short-answer timeout; default 5 s. */
	timeoutMs?: number;
	/** A push that moves no byte for this long is given up; default 60 s. */
	stallMs?: number;
};

const progressEveryMs = 200;
/** After the last byte the device fsyncs a whole partition: an SD card may take a while. */
const answerAfterBodyMs = 180_000;

/**
 * One device's update endpoints. A plain-HTTP URL that the device redirects to HTTPS (gokrazy with TLS) is followed
 * once, to the same host; a pinned certificate is trusted exactly, as the shared transport does.
 */
export class UpdateClient {
	private base: URL;
	private readonly auth: string;
	private readonly timeoutMs: number;
	private readonly stallMs: number;

	constructor(readonly target: DeviceTarget, options: UpdateClientOptions = {}) {
		this.base = new URL(target.url);
		this.auth = 'Basic ' + Buffer.from(`${gokrazyUser}:${target.password ?? ''}`, 'utf8').toString('base64');
		this.timeoutMs = options.timeoutMs ?? 5000;
		this.stallMs = options.stallMs ?? 60_000;
	}

	private get device(): string {
		return this.target.name;
	}

	get hostPort(): string {
		const port = this.base.port || (this.base.protocol === 'https:' ? '443' : '80');
		return `${this.base.hostname.replace(/^\[|\]$/g, '')}:${port}`;
	}

	/** GET /update/features: the protocol features the init offers ("partuuid", "updatehash", "gpt"). */
	async features(signal?: AbortSignal): Promise<string[]> {
		const answer = await this.exchange('GET', '/update/features', undefined, signal);
		if (answer.status === 404) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.hostPort} has no /update/features (404): not a gokrazy init that takes updates over HTTP, or one too old; nothing was changed`, 404);
		}

		this.expectOk(answer, 'GET /update/features');
		if (/^\s*</.test(answer.body)) {
			throw new DeviceError(this.device, 'not-gokrazy', `${this.hostPort} answered /update/features with HTML: not a gokrazy init; nothing was changed`);
		}

		return answer.body.trim().split(',').map(feature => feature.trim()).filter(feature => feature !== '');
	}

	/** POST /update/switch or /update/testboot. */
	async post(action: 'switch' | 'testboot', signal?: AbortSignal): Promise<void> {
		const answer = await this.exchange('POST', `/update/${action}`, undefined, signal);
		this.expectOk(answer, `POST /update/${action}`);
	}

	/**
	 * PUT /update/DEST with `source` as the body (exactly `total` bytes), hashing with SHA-256 on the way. The
	 * device's answer is returned with the own hash; comparing them is the caller's decision to make.
	 */
	async push(dest: string, source: PushSource, total: number, options: {signal?: AbortSignal; onProgress?: (progress: PushProgress) => void} = {}): Promise<PushResult> {
		const {signal, onProgress} = options;
		const hash = createHash('sha256');
		const started = Date.now();
		let bytes = 0;
		let lastReport = 0;
		let lastMove = started;
		const counted = (chunk: Buffer) => {
			hash.update(chunk);
			bytes += chunk.length;
			lastMove = Date.now();
			if (onProgress && lastMove - lastReport >= progressEveryMs) {
				lastReport = lastMove;
				onProgress({bytes, total, elapsedMs: lastMove - started});
			}
		};

		const answer = await new Promise<{status: number; body: string}>((resolve, reject) => {
			let settled = false;
			const finish = (error: Error | undefined, value?: {status: number; body: string}) => {
				if (settled) {
					return;
				}

				settled = true;
				clearInterval(watchdog);
				signal?.removeEventListener('abort', onAbort);
				if (error) {
					if (source instanceof Readable) {
						source.destroy();
					}

					request.destroy();
					reject(error);
				} else {
					resolve(value!);
				}
			};

			const request = this.request('PUT', `/update/${dest}`, {'Content-Length': String(total), 'Content-Type': 'application/octet-stream'});
			const onAbort = () => finish(new DeviceError(this.device, 'aborted', `push of ${dest} cancelled`));
			signal?.addEventListener('abort', onAbort, {once: true});
			const watchdog = setInterval(() => {
				if (Date.now() - lastMove > (bytes >= total ? answerAfterBodyMs : this.stallMs)) {
					const what = bytes >= total ? `no answer after the last byte of ${dest}` : `${dest} push stalled at ${bytes} of ${total} bytes`;
					finish(new DeviceError(this.device, 'timeout', `${what} for ${Math.round((Date.now() - lastMove) / 1000)} s`));
				}
			}, 1000);
			request.on('response', response => {
				const chunks: Buffer[] = [];
				let size = 0;
				response.on('data', (chunk: Buffer) => {
					size += chunk.length;
					if (size <= 64 * 1024) {
						chunks.push(chunk);
					}
				});
				response.on('end', () => finish(undefined, {status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}));
				response.on('error', error => finish(this.dropped(dest, bytes, total, error)));
			});
			request.on('error', error => finish(this.translate(error as NodeJS.ErrnoException, dest, bytes, total)));
			const unreadable = (error: Error) => finish(new DeviceError(this.device, 'config', `cannot read the ${dest} image (${error.message})`));
			if (source instanceof Readable) {
				source.on('error', unreadable);
				source.on('data', (chunk: Buffer) => {
					counted(chunk);
					if (!request.write(chunk)) {
						source.pause();
						request.once('drain', () => source.resume());
					}
				});
				source.on('end', () => request.end());
			} else {
				pumpFile(source, request, counted, () => settled).then(() => request.end(), (error: Error & {code?: string}) => {
					if (error instanceof ShortRead) {
						unreadable(error);
					} else {
						finish(this.translate(error, dest, bytes, total));
					}
				});
			}
		});
		onProgress?.({bytes, total, elapsedMs: Date.now() - started});
		if (answer.status === 404 || /^<!DOCTYPE html>/i.test(answer.body)) {
			throw new NotImplementedError(this.device, 'http', `the device has no /update/${dest} handler`, 404);
		}

		this.expectOk(answer, `PUT /update/${dest}`);
		if (bytes !== total) {
			throw new DeviceError(this.device, 'config', `the ${dest} image gave ${bytes} bytes, not the ${total} its archive names`);
		}

		return {bytes, elapsedMs: Date.now() - started, ownHash: hash.digest('hex'), deviceHash: answer.body.trim().toLowerCase()};
	}

	private dropped(dest: string, bytes: number, total: number, error: Error): DeviceError {
		return new DeviceError(this.device, 'unreachable', `connection to ${this.hostPort} dropped during the ${dest} push at ${bytes} of ${total} bytes (${error.message})`);
	}

	private translate(error: NodeJS.ErrnoException, dest: string, bytes: number, total: number): DeviceError {
		if (error instanceof DeviceError) {
			return error;
		}

		if (error.code === 'ECONNREFUSED') {
			return new DeviceError(this.device, 'unreachable', `connection refused by ${this.hostPort} (is the device up?)`);
		}

		if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || /socket hang up/.test(error.message)) {
			return this.dropped(dest, bytes, total, error);
		}

		if (/certificate/i.test(error.message) || /CERT|SELF_SIGNED/.test(error.code ?? '')) {
			return new DeviceError(this.device, 'tls', `TLS certificate of ${this.hostPort} is not trusted (${error.code ?? error.message})`);
		}

		return new DeviceError(this.device, 'unreachable', `${this.hostPort}: ${error.message}`);
	}

	private expectOk(answer: {status: number; body: string}, what: string): void {
		if (answer.status === 200) {
			return;
		}

		const said = answer.body.trim().split('\n', 1)[0]!.slice(0, 200);
		if (answer.status === 401) {
			throw new DeviceError(this.device, 'auth', this.target.password ? `wrong password (the device said: ${said || '401'})` : 'no password known for this device (give it in the URL, --password-file or KRAZY_PASSWORD)', 401);
		}

		throw new DeviceError(this.device, 'http', `${what}: HTTP ${answer.status}${said ? ` (${said})` : ''}`, answer.status);
	}

	/** A short exchange with a small (or no) body; a redirect to HTTPS on the same host is followed once. */
	private async exchange(method: 'GET' | 'POST', path: string, body: string | undefined, signal?: AbortSignal): Promise<{status: number; body: string}> {
		for (let redirects = 0; ; redirects++) {
			const answer = await this.shortRequest(method, path, body, signal);
			const location = answer.location;
			if (redirects === 0 && location?.startsWith('https:') && this.base.protocol === 'http:' && [301, 302, 307, 308].includes(answer.status)) {
				const next = new URL(location);
				if (next.hostname !== this.base.hostname) {
					throw new DeviceError(this.device, 'http', `redirected to another host (${next.host}); not following`);
				}

				this.base = new URL(`https://${next.host}`);
				continue;
			}

			return answer;
		}
	}

	private shortRequest(method: string, path: string, body: string | undefined, signal?: AbortSignal): Promise<{status: number; body: string; location?: string}> {
		if (signal?.aborted) {
			return Promise.reject(new DeviceError(this.device, 'aborted', 'request cancelled'));
		}

		return new Promise((resolve, reject) => {
			const request = this.request(method, path, body === undefined ? {} : {'Content-Length': String(Buffer.byteLength(body))});
			const timer = setTimeout(() => {
				request.destroy(new DeviceError(this.device, 'timeout', `no answer from ${this.hostPort} after ${this.timeoutMs / 1000} s`));
			}, this.timeoutMs);
			const onAbort = () => request.destroy(new DeviceError(this.device, 'aborted', 'request cancelled'));
			signal?.addEventListener('abort', onAbort, {once: true});
			const done = () => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
			};

			request.on('response', response => {
				const chunks: Buffer[] = [];
				let size = 0;
				response.on('data', (chunk: Buffer) => {
					size += chunk.length;
					if (size <= 64 * 1024) {
						chunks.push(chunk);
					}
				});
				response.on('end', () => {
					done();
					const location = response.headers.location;
					resolve({status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: typeof location === 'string' ? location : undefined});
				});
				response.on('error', error => {
					done();
					reject(this.translate(error as NodeJS.ErrnoException, path, 0, 0));
				});
			});
			request.on('error', error => {
				done();
				reject(this.translate(error as NodeJS.ErrnoException, path, 0, 0));
			});
			request.end(body);
		});
	}

	private request(method: string, path: string, headers: Record<string, string>): http.ClientRequest {
		const isHttps = this.base.protocol === 'https:';
		const options: https.RequestOptions = {
			protocol: this.base.protocol,
			hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
			port: this.base.port || undefined,
			method,
			path,
			agent: false,
			headers: {Authorization: this.auth, ...headers},
			...(isHttps ? this.tlsOptions() : {}),
		};
		return isHttps ? https.request(options) : http.request(options);
	}

	/** A pinned certificate is the only one trusted for this device, whatever name it carries. */
	private tlsOptions(): https.RequestOptions {
		const pem = this.target.certificate;
		if (!pem) {
			return {};
		}

		const pinned = new X509Certificate(pem).raw;
		return {
			ca: [pem, ...tls.rootCertificates],
			checkServerIdentity(_host: string, cert: PeerCertificate) {
				return cert.raw && Buffer.compare(cert.raw, pinned) === 0 ? undefined : new Error('certificate does not match the pinned certificate');
			},
		};
	}
}

const chunkBytes = 1024 * 1024;
/** Buffers in flight: one being read while the socket still sends the others. */
const bufferCount = 4;

class ShortRead extends Error {}

/**
 * Reads the range into a few buffers that are used again and again (no fresh 1 MiB allocation per chunk, whose
 * page faults and frees cost more system time than the copy), each refilled once the socket is done with it.
 */
async function pumpFile(source: {file: string; start: number; length: number}, request: http.ClientRequest, counted: (chunk: Buffer) => void, stopped: () => boolean): Promise<void> {
	const handle = await open(source.file, 'r');
	const buffers = Array.from({length: bufferCount}, () => Buffer.allocUnsafeSlow(chunkBytes));
	const sent: Array<Promise<void> | undefined> = [];
	let offset = 0;
	const readInto = async (slot: number): Promise<Buffer> => {
		// The socket must be done with this buffer before it is filled again.
		await sent[slot];
		const want = Math.min(chunkBytes, source.length - offset);
		const at = offset;
		offset += want;
		const {bytesRead} = await handle.read(buffers[slot]!, 0, want, source.start + at);
		if (bytesRead !== want) {
			throw new ShortRead(`the file ends ${source.length - at - bytesRead} bytes early`);
		}

		return buffers[slot]!.subarray(0, bytesRead);
	};

	try {
		let slot = 0;
		let next = source.length > 0 ? readInto(slot) : undefined;
		while (next && !stopped()) {
			const chunk = await next;
			const written = new Promise<void>((resolve, reject) => {
				request.write(chunk, error => (error ? reject(error) : resolve()));
			});
			// A failed write also fails the request, which reports it; this copy only must not go unhandled.
			written.catch(() => undefined);
			sent[slot] = written;
			slot = (slot + 1) % bufferCount;
			// The next read runs on the thread pool and the kernel sends while this chunk is hashed.
			next = offset < source.length ? readInto(slot) : undefined;
			next?.catch(() => undefined);
			counted(chunk);
		}

		await Promise.all(sent);
	} finally {
		await handle.close();
	}
}
