// Starts demo devices for tests (in this process, or as a separate `demo --serve --json` process), stops them in t.teardown, and talks raw HTTP to them.
import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import type {ExecutionContext} from 'ava';
import {startDemoDevice, type DemoDevice, type DemoDeviceOptions} from '../../source/demo/demo-device.js';
import {waitFor as waitForValue} from './wait-for.js';

/** Kept for the tests that import it from here: the one wait-for helper. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
	return waitForValue(check, {timeoutMs, what, intervalMs: 50});
}

export type {DemoDevice, DemoDeviceOptions} from '../../source/demo/demo-device.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A demo device in this process, stopped (every child group killed) when the test ends. */
export async function useDemoDevice(t: ExecutionContext, options: DemoDeviceOptions = {}): Promise<DemoDevice> {
	const device = await startDemoDevice(options);
	t.teardown(() => device.stop());
	return device;
}

/** One line of `demo --serve --json`. */
export type DemoServeLine = {
	url: string;
	baseUrl: string;
	password: string;
	ssh: {host: string; port: number};
	authorizedKeys: string;
	hostname: string;
	/** Absent for light devices (demo --light), which keep nothing on disk. */
	stateDir?: string;
};

export type DemoProcess = {
	child: ChildProcess;
	devices: DemoServeLine[];
	/** Everything the process wrote on stderr so far. */
	stderr(): string;
	/** Sends the signal (SIGTERM by default) and waits for the exit. */
	stop(signal?: NodeJS.Signals): Promise<{code: number | null; signal: NodeJS.Signals | null}>;
};

/**
 * `demo --serve --json` in a child process, for tests that need the device in another process.
 * cli: true runs the built `dist/cli.js`; otherwise the command's source runs under tsx, so the test sees the code as it is now.
 */
export async function useDemoProcess(t: ExecutionContext, args: string[] = [], options: {cli?: boolean; count?: number} = {}): Promise<DemoProcess> {
	const count = options.count ?? 1;
	const serveArgs = ['demo', '--serve', '--json', ...(count > 1 ? ['--count', String(count)] : []), ...args];
	let child: ChildProcess;
	if (options.cli) {
		const cli = `${repoRoot}dist/cli.js`;
		if (!existsSync(cli)) {
			throw new Error('dist/cli.js is missing: run `npm run build` first');
		}

		child = spawn(process.execPath, [cli, ...serveArgs], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe']});
	} else {
		const command = pathToFileURL(`${repoRoot}source/commands/demo.ts`).href;
		const runner = `
			const {demoCommand} = await import(${JSON.stringify(command)});
			const controller = new AbortController();
			for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => controller.abort());
			process.exitCode = await demoCommand(process.argv.slice(1), {stdout: process.stdout, stderr: process.stderr, env: process.env, stdoutIsTty: false, signal: controller.signal});
		`;
		child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '--eval', runner, '--', ...serveArgs.slice(1)], {
			cwd: repoRoot,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
	}

	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (text: string) => {
		stderr += text;
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => {
		child.once('exit', (code, signal) => resolve({code, signal}));
	});
	const devices = await new Promise<DemoServeLine[]>((resolve, reject) => {
		const lines: DemoServeLine[] = [];
		let buffered = '';
		const timer = setTimeout(() => reject(new Error(`demo --serve printed no devices within 30 s; stderr: ${stderr}`)), 30_000);
		child.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffered += text;
			let newline = buffered.indexOf('\n');
			while (newline !== -1) {
				lines.push(JSON.parse(buffered.slice(0, newline)) as DemoServeLine);
				buffered = buffered.slice(newline + 1);
				newline = buffered.indexOf('\n');
			}

			if (lines.length >= count) {
				clearTimeout(timer);
				resolve(lines);
			}
		});
		void exited.then(({code}) => {
			clearTimeout(timer);
			reject(new Error(`demo --serve exited with ${code} before printing its devices; stderr: ${stderr}`));
		});
	});

	let stopping: Promise<{code: number | null; signal: NodeJS.Signals | null}> | undefined;
	const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
		stopping ??= (async () => {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill(signal);
			}

			return exited;
		})();
		return stopping;
	};

	t.teardown(async () => {
		await stop();
		// A process killed outright (SIGKILL) cannot remove the state folders it made: the test does.
		for (const device of devices) {
			// Light devices (demo --light) keep no state on disk: they print no stateDir.
			if (typeof device.stateDir === 'string' && path.basename(device.stateDir).startsWith('krazy-demo-')) {
				await rm(device.stateDir, {recursive: true, force: true});
			}
		}
	});
	return {child, devices, stderr: () => stderr, stop};
}

export type RawResponse = {
	status: number;
	/** In the order the server sent them, names as sent. */
	headerList: Array<[string, string]>;
	/** Lower-cased names; repeated headers joined with "\n". */
	headers: Record<string, string>;
	body: Buffer;
};

export type RequestOptions = {
	method?: string;
	headers?: Record<string, string>;
	body?: string;
	/** false: no Authorization header; a string: that Authorization header. Default: the device's Basic credentials. */
	auth?: boolean | string;
	/** For an https device: the certificate to trust. */
	ca?: string | Buffer;
};

export function basicAuth(password: string, user = 'gokrazy'): string {
	return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** One request on a fresh connection; the whole answer with its headers in wire order. */
export function demoRequest(device: Pick<DemoDevice, 'baseUrl' | 'password'>, path: string, options: RequestOptions = {}): Promise<RawResponse> {
	const url = new URL(path, device.baseUrl);
	const headers: Record<string, string> = {...options.headers};
	if (options.auth !== false) {
		headers.Authorization = typeof options.auth === 'string' ? options.auth : basicAuth(device.password);
	}

	if (options.body !== undefined) {
		headers['Content-Length'] = String(Buffer.byteLength(options.body));
	}

	// A keep-alive agent of its own: `agent: false` would send Connection: close, which the device (like Go) echoes.
	const agent = url.protocol === 'https:' ? new https.Agent({keepAlive: true, ca: options.ca}) : new http.Agent({keepAlive: true});
	const client = url.protocol === 'https:' ? https : http;
	return new Promise<RawResponse>((resolve, reject) => {
		const request = client.request(url, {method: options.method ?? 'GET', headers, agent}, response => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				const headerList: Array<[string, string]> = [];
				for (let index = 0; index < response.rawHeaders.length; index += 2) {
					headerList.push([response.rawHeaders[index]!, response.rawHeaders[index + 1]!]);
				}

				const joined: Record<string, string> = {};
				for (const [key, value] of headerList) {
					const lower = key.toLowerCase();
					joined[lower] = joined[lower] === undefined ? value : `${joined[lower]}\n${value}`;
				}

				resolve({status: response.statusCode!, headerList, headers: joined, body: Buffer.concat(chunks)});
			});
			response.on('error', reject);
		});
		request.on('error', reject);
		request.end(options.body);
	}).finally(() => {
		agent.destroy();
	});
}

export async function demoJson<T>(device: Pick<DemoDevice, 'baseUrl' | 'password'>, path: string): Promise<T> {
	const response = await demoRequest(device, path, {headers: {Accept: 'application/json', 'Content-Type': 'application/json'}});
	if (response.status !== 200) {
		throw new Error(`${path}: HTTP ${response.status}: ${response.body.toString()}`);
	}

	return JSON.parse(response.body.toString()) as T;
}

export type ServiceJson = {Stopped: boolean; StartTime: string; Pid: number; Path: string; Args: string[]; Diverted: string};

export function demoService(device: Pick<DemoDevice, 'baseUrl' | 'password'>, path: string): Promise<ServiceJson> {
	return demoJson<ServiceJson>(device, `/status?path=${encodeURIComponent(path)}`);
}

/** The XSRF token a /status visit hands out (the gokrazy_xsrf cookie). */
export async function demoXsrfToken(device: Pick<DemoDevice, 'baseUrl' | 'password'>): Promise<string> {
	const response = await demoRequest(device, '/status?path=%2Fgokrazy%2Fntp', {headers: {Accept: 'application/json'}});
	const match = /gokrazy_xsrf=(\d+)/.exec(response.headers['set-cookie'] ?? '');
	if (!match) {
		throw new Error('no gokrazy_xsrf cookie in the /status answer');
	}

	return match[1]!;
}

/** POST /stop or /restart with a fresh XSRF token pair, as the web UI does; extra form fields as given. */
export async function demoAction(
	device: Pick<DemoDevice, 'baseUrl' | 'password'>,
	action: 'stop' | 'restart',
	servicePath: string,
	extra: Record<string, string> = {},
): Promise<RawResponse> {
	const token = await demoXsrfToken(device);
	const body = new URLSearchParams({xsrftoken: token, path: servicePath, ...extra}).toString();
	return demoRequest(device, `/${action}`, {
		method: 'POST',
		headers: {Cookie: `gokrazy_xsrf=${token}`, 'Content-Type': 'application/x-www-form-urlencoded'},
		body,
	});
}

/** True while a process (or, with a negative id, a process group) exists. */
export function processExists(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}
