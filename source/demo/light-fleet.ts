// The light demo fleet: many demo devices served by one process, each the demo's own HTTP API over simulated services.
//
// `demo --serve --light --count 500` is for what the count demands (the exporter's benchmark, fleet-scale tests):
// the API, pages and answers are the demo device's (GokrazyHttpApi), only the supervisor is simulated, so no child
// process and no breakglass SSH server exists. Below a few dozen devices the full demo is the one to use.
import {createHash} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import type http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {closeServer, httpServer, listen, randomPassword} from './demo-device.js';
import {kernelDescription} from './device-facts.js';
import {formatRfc3339} from './go-format.js';
import {GokrazyHttpApi} from './gokrazy-http.js';
import {lightPrograms, SimulatedSupervisor} from './simulated-supervisor.js';

export type LightFleetOptions = {
	count: number;
	/** Default 127.0.0.1. */
	host?: string;
	/** The first device's port, the others follow it; 0 (default): each picks a free one. */
	port?: number;
	/** One password for every device; default: a random one each. */
	password?: string;
	/** Hostnames are BASE-001, BASE-002, …; default gokrazy-light. */
	hostname?: string;
	/** How long /user/crasher runs before it exits 1; default 20 s. */
	crashAfterMs?: number;
	utcOffsetMinutes?: number;
	/** How long a device is unreachable during a reboot; default 1500 ms. */
	rebootDowntimeMs?: number;
	/** How often the simulated services move on; default 200 ms. */
	tickMs?: number;
};

export type LightDevice = {
	url: string;
	baseUrl: string;
	password: string;
	host: string;
	port: number;
	hostname: string;
	supervisor: SimulatedSupervisor;
	/** The HTTP API goes away (connections refused) while the simulated services keep running. */
	closeHttp(): Promise<void>;
	reopenHttp(): Promise<void>;
};

export type LightFleet = {
	devices: LightDevice[];
	stop(): Promise<void>;
};

const gib = 1024 ** 3;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A Pi-sized memory that breathes slowly, different per device, so graphs and the memory alert have something to show. */
function simulatedMeminfo(index: number): () => {MemTotal: number; MemAvailable: number} {
	const total = [1, 2, 4, 8][index % 4]! * gib;
	const phase = index * 0.7;
	return () => {
		const breathing = 0.5 + 0.25 * Math.sin(Date.now() / 120_000 + phase);
		return {MemTotal: total, MemAvailable: Math.round(total * breathing / 4096) * 4096};
	};
}

export async function startLightFleet(options: LightFleetOptions): Promise<LightFleet> {
	const host = options.host ?? '127.0.0.1';
	const base = options.hostname ?? 'gokrazy-light';
	const width = Math.max(3, String(options.count).length);
	const utcOffsetMinutes = options.utcOffsetMinutes ?? 0;
	// Every device's /perm figures come from this folder: statfs needs a real one.
	const stateDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-light-'));
	const kernel = kernelDescription();
	const buildTimestamp = formatRfc3339(Date.now(), utcOffsetMinutes);
	const digest = (text: string) => createHash('sha256').update(text).digest('hex');
	const urlHost = net.isIPv6(host) ? `[${host}]` : host;
	const devices: LightDevice[] = [];
	const servers: http.Server[] = [];
	let stopping = false;
	const clock = setInterval(() => {
		const now = Date.now();
		for (const device of devices) {
			device.supervisor.tick(now);
		}
	}, options.tickMs ?? 200);

	const stop = async () => {
		stopping = true;
		clearInterval(clock);
		await Promise.all(servers.map(async server => closeServer(server)));
		await rm(stateDir, {recursive: true, force: true});
	};

	try {
		for (let index = 0; index < options.count; index++) {
			const hostname = `${base}-${String(index + 1).padStart(width, '0')}`;
			const password = options.password ?? randomPassword();
			const supervisor = new SimulatedSupervisor(lightPrograms({crashAfterMs: options.crashAfterMs ?? 20_000, index}), utcOffsetMinutes);
			// Booted before its API answers, as a device's services are up by the time anyone can ask.
			supervisor.tick(Date.now());
			let port = options.port ? options.port + index : 0;
			let poweredOff = false;
			const api = new GokrazyHttpApi({
				hostname,
				kernel,
				model: 'Raspberry Pi 4 Model B Rev 1.5 (krazy-tui light fleet)',
				buildTimestamp,
				sbomHash: digest(`${hostname} ${buildTimestamp}`),
				utcOffsetMinutes,
				password,
				permDir: stateDir,
				permDev: '/dev/mmcblk0p4',
				permUuid: `${digest(hostname).slice(0, 8)}-04`,
				supervisor,
				meminfo: simulatedMeminfo(index),
				async power() {
					supervisor.killAll();
				},
				afterPower(kind) {
					void (async () => {
						await closeHttp();
						if (kind === 'poweroff') {
							poweredOff = true;
							return;
						}

						await sleep(options.rebootDowntimeMs ?? 1500);
						supervisor.reboot();
						await reopenHttp();
					})();
				},
			});
			const server = httpServer(api.handle, undefined) as http.Server;
			const closeHttp = async () => closeServer(server);
			const reopenHttp = async () => {
				if (!server.listening && !stopping && !poweredOff) {
					await listen(server, port, host);
				}
			};

			servers.push(server);
			port = await listen(server, port, host);
			devices.push({
				url: `http://gokrazy:${encodeURIComponent(password)}@${urlHost}:${port}`,
				baseUrl: `http://${urlHost}:${port}`,
				password,
				host,
				port,
				hostname,
				supervisor,
				closeHttp,
				reopenHttp,
			});
		}
	} catch (error) {
		await stop();
		throw error;
	}

	return {devices, stop};
}
