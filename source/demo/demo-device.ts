// The embedded demo device: a gokrazy init (HTTP API, supervisor, real programs, breakglass) that tests and the demo command start in-process.
import {createHash, randomInt} from 'node:crypto';
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {firstDemoBuild, specsForBuild, type DemoBuild} from './demo-build.js';
import {demoServiceSpecs, type ExtraService} from './demo-services.js';
import {DemoUpdates} from './demo-updates.js';
import {kernelDescription} from './device-facts.js';
import {formatRfc3339, goArch} from './go-format.js';
import {GokrazyHttpApi, httpsRedirectHandler, type InitState} from './gokrazy-http.js';
import {Supervisor} from './supervisor.js';

export type {ExtraService} from './demo-services.js';

export type DemoDeviceOptions = {
	/** Address of the HTTP API and of breakglass; default 127.0.0.1. */
	host?: string;
	/** HTTP(S) port; 0 (default) picks a free one. */
	port?: number;
	/** Default: 20 random letters and digits, as `gok new` makes. */
	password?: string;
	/** Default: gokrazy-demo. */
	hostname?: string;
	/** The device's /perm and breakglass files; default: a temporary directory removed by stop(). */
	stateDir?: string;
	/** breakglass's SSH port; 0 (default) picks a free one when the device starts. */
	sshPort?: number;
	/** Default: breakglass.authorized_keys in the state dir (created empty). */
	authorizedKeysPath?: string;
	extraServices?: readonly ExtraService[];
	/** Lines per second of /user/flood; default 20000. */
	floodRate?: number;
	/** How long /user/crasher runs before it exits 1; default 20 s. */
	crashAfterMs?: number;
	/** Delay before /user/late's first line; default 6 s. */
	lateDelayMs?: number;
	/** Serve the API over HTTPS; httpRedirectPort adds the plain-HTTP port that redirects every request there (0 picks one). */
	tls?: {cert: string | Buffer; key: string | Buffer; httpRedirectPort?: number};
	/** The device's time zone; default 0 (UTC, times end in Z as in the captures). */
	utcOffsetMinutes?: number;
	/** Default "Raspberry Pi 4 Model B Rev 1.5 (krazy-tui demo)". */
	model?: string;
	/** How long the device is unreachable during a reboot; default 1500 ms. */
	rebootDowntimeMs?: number;
	/** The card behind the update endpoints (partition sizes, a slowed write rate); see demo-updates.ts. */
	update?: {rootPartitionBytes?: number; writeBytesPerSecond?: number};
};

export type DemoServiceSnapshot = {path: string; pid: number; running: boolean; stopped: boolean};

export type DemoDevice = {
	/** With credentials: http://gokrazy:PW@127.0.0.1:PORT (https:// with tls). */
	url: string;
	/** Without credentials. */
	baseUrl: string;
	password: string;
	host: string;
	port: number;
	hostname: string;
	ssh: {host: string; port: number};
	authorizedKeysPath: string;
	hostKeyPath: string;
	stateDir: string;
	/** The plain-HTTP redirect port of a TLS device. */
	httpRedirectPort: number | undefined;
	/** Kills every service process group and closes the servers; removes a temporary state dir. */
	stop(): Promise<void>;
	/** The HTTP API goes away (connections refused on the port) while the services keep running. */
	closeHttp(): Promise<void>;
	/** The HTTP API listens again on the same port. */
	reopenHttp(): Promise<void>;
	/** What the supervisor knows right now. */
	services(): DemoServiceSnapshot[];
	/** Pids (= process group ids) of service processes alive right now. */
	livePids(): number[];
	/** The update endpoints and the card they write (partitions in stateDir/disk). */
	updates: DemoUpdates;
	/** The build this boot runs (what was flashed or pushed). */
	build(): DemoBuild;
};

const defaultModel = 'Raspberry Pi 4 Model B Rev 1.5 (krazy-tui demo)';
const passwordAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomPassword(length = 20): string {
	let password = '';
	for (let index = 0; index < length; index++) {
		password += passwordAlphabet[randomInt(passwordAlphabet.length)];
	}

	return password;
}

async function freePort(host: string): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, resolve);
	});
	const {port} = server.address() as net.AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

export function listen(server: net.Server, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const onError = (error: Error) => {
			reject(error);
		};

		server.once('error', onError);
		server.listen(port, host, () => {
			server.removeListener('error', onError);
			resolve((server.address() as net.AddressInfo).port);
		});
	});
}

export function closeServer(server: net.Server & {closeAllConnections?: () => void}): Promise<void> {
	return new Promise(resolve => {
		if (!server.listening) {
			server.closeAllConnections?.();
			resolve();
			return;
		}

		server.close(() => resolve());
		server.closeAllConnections?.();
	});
}

/** A malformed request gets Go's answer, not node's. */
function goClientError(error: Error & {code?: string}, socket: net.Socket): void {
	if (socket.writable && error.code !== 'ECONNRESET') {
		socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
	} else {
		socket.destroy();
	}
}

export function httpServer(handler: http.RequestListener, tls: DemoDeviceOptions['tls']): http.Server | https.Server {
	const server = tls ? https.createServer({cert: tls.cert, key: tls.key}, handler) : http.createServer(handler);
	// Go keeps idle connections open; node's default would close them after 5 s and advertise Keep-Alive.
	server.keepAliveTimeout = 0;
	server.on('clientError', goClientError);
	return server;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export async function startDemoDevice(options: DemoDeviceOptions = {}): Promise<DemoDevice> {
	const ownsStateDir = options.stateDir === undefined;
	const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'krazy-demo-')));
	try {
		return await startDemoDeviceIn(stateDir, ownsStateDir, options);
	} catch (error) {
		// Nothing half-done: a device that did not start (its port taken, its card broken) leaves no folder behind.
		if (ownsStateDir) {
			await rm(stateDir, {recursive: true, force: true});
		}

		throw error;
	}
}

async function startDemoDeviceIn(stateDir: string, ownsStateDir: boolean, options: DemoDeviceOptions): Promise<DemoDevice> {
	const host = options.host ?? '127.0.0.1';
	const hostname = options.hostname ?? 'gokrazy-demo';
	const password = options.password ?? randomPassword();
	const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
	const model = options.model ?? defaultModel;
	const permDir = path.join(stateDir, 'perm');
	mkdirSync(path.join(permDir, 'home'), {recursive: true});
	const authorizedKeysPath = options.authorizedKeysPath ?? path.join(stateDir, 'breakglass.authorized_keys');
	if (options.authorizedKeysPath === undefined && !existsSync(authorizedKeysPath)) {
		writeFileSync(authorizedKeysPath, '', {mode: 0o600});
	}

	const hostKeyPath = path.join(stateDir, 'breakglass.host_key');
	const sshPort = options.sshPort || (await freePort(host));
	const digest = (text: string) => createHash('sha256').update(text).digest('hex');
	const stockSpecs = (buildTimestamp: string) =>
		demoServiceSpecs({
			authorizedKeysPath,
			permDir,
			tmpDir: path.join(stateDir, 'tmp'),
			hostKeyPath,
			sshHost: host,
			sshPort,
			hostname,
			model,
			buildTimestamp,
			extraServices: options.extraServices ?? [],
			floodRate: options.floodRate ?? 20_000,
			crashAfterMs: options.crashAfterMs ?? 20_000,
			lateDelayMs: options.lateDelayMs ?? 6000,
		});
	// The services and build stamp come from the card: what was flashed first, or what an update pushed.
	const updates = new DemoUpdates({dir: path.join(stateDir, 'disk'), diskId: digest(stateDir).slice(0, 8), arch: goArch(), ...options.update});
	const firstStamp = formatRfc3339(Date.now(), utcOffsetMinutes);
	await updates.flashIfBlank(firstDemoBuild(stockSpecs(firstStamp).map(spec => spec.path), hostname, firstStamp, goArch()));
	const firstBoot = await updates.boot();
	if (!firstBoot.ok) {
		throw new Error(`the demo card in ${stateDir} does not boot: ${firstBoot.reason}`);
	}

	let build = firstBoot.build;
	const supervisorFor = (next: DemoBuild) => new Supervisor(specsForBuild(next, stockSpecs(next.buildTimestamp)), {permDir, utcOffsetMinutes});
	let supervisor = supervisorFor(build);

	let stopping = false;
	let poweredOff = false;
	let pendingPower: Promise<void> = Promise.resolve();
	const init: InitState = {
		hostname,
		kernel: kernelDescription(),
		model,
		buildTimestamp: build.buildTimestamp,
		sbomHash: build.sbomHash,
		utcOffsetMinutes,
		password,
		permDir,
		permDev: '/dev/mmcblk0p4',
		permUuid: `${digest(stateDir).slice(0, 8)}-04`,
		supervisor,
		power(_kind, waitPerSignalMs) {
			pendingPower = supervisor.killAll(waitPerSignalMs);
			return pendingPower;
		},
		afterPower(kind) {
			void (async () => {
				await pendingPower;
				if (stopping) {
					return;
				}

				await supervisor.shutdown();
				await closeHttp();
				if (kind === 'poweroff') {
					poweredOff = true;
					if (redirectServer) {
						await closeServer(redirectServer);
					}

					return;
				}

				await sleep(options.rebootDowntimeMs ?? 1500);
				if (stopping) {
					return;
				}

				const next = await updates.boot();
				if (!next.ok) {
					// A card that does not boot: the device never answers again.
					return;
				}

				if (next.build.sbomHash === build.sbomHash && next.build.buildTimestamp === build.buildTimestamp) {
					supervisor.rebootServices();
				} else {
					build = next.build;
					supervisor = supervisorFor(build);
					Object.assign(init, {supervisor, buildTimestamp: build.buildTimestamp, sbomHash: build.sbomHash});
					supervisor.boot();
				}

				await reopenHttp();
			})();
		},
		updates,
	};
	const api = new GokrazyHttpApi(init);

	const server = httpServer(api.handle, options.tls);
	let port = await listen(server, options.port ?? 0, host);
	let redirectServer: http.Server | undefined;
	let httpRedirectPort: number | undefined;
	if (options.tls?.httpRedirectPort !== undefined) {
		redirectServer = httpServer(httpsRedirectHandler(port), undefined);
		try {
			httpRedirectPort = await listen(redirectServer, options.tls.httpRedirectPort, host);
		} catch (error) {
			await closeServer(server);
			throw error;
		}
	}

	async function closeHttp(): Promise<void> {
		await closeServer(server);
	}

	async function reopenHttp(): Promise<void> {
		if (!server.listening && !stopping && !poweredOff) {
			port = await listen(server, port, host);
		}
	}

	supervisor.boot();

	const scheme = options.tls ? 'https' : 'http';
	const urlHost = net.isIPv6(host) ? `[${host}]` : host;
	let stopped: Promise<void> | undefined;
	return {
		url: `${scheme}://gokrazy:${encodeURIComponent(password)}@${urlHost}:${port}`,
		baseUrl: `${scheme}://${urlHost}:${port}`,
		password,
		host,
		port,
		hostname,
		ssh: {host, port: sshPort},
		authorizedKeysPath,
		hostKeyPath,
		stateDir,
		httpRedirectPort,
		stop() {
			stopped ??= (async () => {
				stopping = true;
				await supervisor.shutdown();
				await closeServer(server);
				if (redirectServer) {
					await closeServer(redirectServer);
				}

				// The device's /tmp (breakglass's working folders) does not outlive it, whoever owns the state folder.
				await rm(ownsStateDir ? stateDir : path.join(stateDir, 'tmp'), {recursive: true, force: true});
			})();
			return stopped;
		},
		closeHttp,
		reopenHttp,
		services: () =>
			supervisor.services.map(service => ({path: service.path, pid: service.pid, running: service.running, stopped: service.stopped})),
		livePids: () => supervisor.livePids(),
		updates,
		build: () => build,
	};
}

/** Many demo devices in one process, with distinct hostnames (gokrazy-demo-01, …), ports and state dirs. */
export async function startDemoFleet(count: number, options: DemoDeviceOptions = {}): Promise<DemoDevice[]> {
	const base = options.hostname ?? 'gokrazy-demo';
	const width = String(count).length < 2 ? 2 : String(count).length;
	const started = await Promise.allSettled(
		Array.from({length: count}, (_, index) => {
			const hostname = `${base}-${String(index + 1).padStart(width, '0')}`;
			return startDemoDevice({
				...options,
				hostname,
				port: options.port ? options.port + index : 0,
				sshPort: options.sshPort ? options.sshPort + index : 0,
				stateDir: options.stateDir === undefined ? undefined : path.join(options.stateDir, hostname),
			});
		}),
	);
	const devices = started.flatMap(result => (result.status === 'fulfilled' ? [result.value] : []));
	const failure = started.find(result => result.status === 'rejected');
	if (failure) {
		await Promise.all(devices.map(device => device.stop()));
		throw (failure as PromiseRejectedResult).reason;
	}

	return devices;
}
