// Getting to a breakglass shell: ask the device, start breakglass through the XSRF restart flow, wait for its port, connect.
import net from 'node:net';
import {DeviceClient} from '../device-client.js';
import type {ServiceHtmlStatus} from '../device-client.js';
import {DeviceError, isDeviceError} from '../device-error.js';
import type {DeviceTarget} from '../device-target.js';
import {SshSession} from './ssh-session.js';
import type {HostKeyPolicy} from './ssh-session.js';
import type {KeySources} from './ssh-keys.js';

export const breakglassPath = '/user/breakglass';
export const defaultSshPort = 22;

/** What the flow is doing, for a status line ("starting breakglass…", "waiting for 10.0.0.23:22 (0.8 s)"). */
export type BreakglassProgress =
	| {phase: 'status'; device: string}
	| {phase: 'starting'; device: string}
	| {phase: 'waiting-for-port'; device: string; host: string; port: number; elapsedMs: number; timeoutMs: number}
	| {phase: 'connecting'; device: string; host: string; port: number}
	| {phase: 'uploading'; device: string; file: string}
	/** `scp` when the device refused SFTP and its scp sink took the file. */
	| {phase: 'uploaded'; device: string; file: string; method: 'sftp' | 'scp'}
	| {phase: 'stopping'; device: string};

/** The part of DeviceClient the flow needs. */
export type BreakglassDevice = Pick<DeviceClient, 'serviceHtmlStatus' | 'start' | 'stop'>;

export type BreakglassState = {
	/** GOARCH the device reported, for `${GOARCH}` in upload names. */
	goarch: string;
	/** breakglass was stopped and this flow started it. */
	startedByUs: boolean;
};

/** The host the SSH connection goes to: the device's HTTP host, without IPv6 brackets. */
export function sshHostOf(target: DeviceTarget): string {
	const {hostname} = new URL(target.url);
	return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export function sshPortOf(target: DeviceTarget, override?: number): number {
	return override ?? target.sshPort ?? defaultSshPort;
}

/** What to tell someone whose image has no breakglass. */
export function missingBreakglassText(device: string): string {
	return `breakglass is not in the image of ${device}: add it with \`gok add github.com/gokrazy/breakglass\` (and \`gok add github.com/gokrazy/serial-busybox\` for a shell), then \`gok update\``;
}

/**
 * Step 1 and 2: reads breakglass's status (404: not in the image), starts it when stopped and then waits for its SSH port.
 */
export async function ensureBreakglassRunning(
	device: BreakglassDevice,
	options: {
		deviceName: string;
		host: string;
		port: number;
		/** How long to wait for the port after starting; a few seconds, as the Go client's 2 s plus slack. */
		portTimeoutMs?: number;
		onProgress?: (progress: BreakglassProgress) => void;
		signal?: AbortSignal;
	},
): Promise<BreakglassState> {
	const {deviceName, host, port} = options;
	options.onProgress?.({phase: 'status', device: deviceName});
	let status: ServiceHtmlStatus;
	try {
		status = await device.serviceHtmlStatus(breakglassPath, options.signal);
	} catch (error) {
		if (isDeviceError(error) && error.kind === 'unknown-service') {
			throw new DeviceError(deviceName, 'unknown-service', missingBreakglassText(deviceName));
		}

		throw error;
	}

	let startedByUs = false;
	if (status.status === 'stopped') {
		options.onProgress?.({phase: 'starting', device: deviceName});
		await device.start(breakglassPath);
		startedByUs = true;
	}

	// A running breakglass is connected to directly (a refused connection says so); only one just started is waited for, as
	// the Go client does: each probe costs the server a connection.
	if (startedByUs) {
		const timeoutMs = options.portTimeoutMs ?? 5000;
		await waitForPort(host, port, {
			timeoutMs,
			signal: options.signal,
			onWait: elapsedMs => options.onProgress?.({phase: 'waiting-for-port', device: deviceName, host, port, elapsedMs, timeoutMs}),
			onTimeout: () =>
				new DeviceError(
					deviceName,
					'timeout',
					`breakglass was started but nothing accepted connections on ${host}:${port} within ${Math.round(timeoutMs / 1000)} s (does it listen on another port? see its log: krazy-tui logs ${deviceName} breakglass)`,
				),
		});
	}

	return {goarch: status.goarch, startedByUs};
}

/** Polls a TCP port until it accepts a connection; tells `onWait` how long it has waited while it has not. */
export async function waitForPort(
	host: string,
	port: number,
	options: {timeoutMs: number; intervalMs?: number; signal?: AbortSignal; onWait?: (elapsedMs: number) => void; onTimeout: () => Error},
): Promise<void> {
	const started = Date.now();
	const interval = options.intervalMs ?? 100;
	for (;;) {
		if (options.signal?.aborted) {
			throw new DeviceError(host, 'aborted', 'interrupted');
		}

		const remaining = options.timeoutMs - (Date.now() - started);
		if (await probe(host, port, Math.max(200, Math.min(1000, remaining)))) {
			return;
		}

		const elapsed = Date.now() - started;
		if (elapsed >= options.timeoutMs) {
			throw options.onTimeout();
		}

		options.onWait?.(elapsed);
		await new Promise(resolve => setTimeout(resolve, Math.min(interval, options.timeoutMs - elapsed)));
	}
}

async function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = net.connect({host, port});
		const done = (open: boolean) => {
			socket.removeAllListeners();
			socket.on('error', () => {});
			socket.destroy();
			resolve(open);
		};

		socket.setTimeout(timeoutMs, () => done(false));
		socket.once('connect', () => done(true));
		socket.once('error', () => done(false));
	});
}

export type BreakglassConnectOptions = {
	/** SSH port: --ssh-port, else the device's configured one, else 22. */
	sshPort?: number;
	username: string;
	keys: KeySources;
	hostKeys: HostKeyPolicy;
	portTimeoutMs?: number;
	onProgress?: (progress: BreakglassProgress) => void;
	signal?: AbortSignal;
	/** Injected for the dashboard, which already has a client; one is made from the target otherwise. */
	device?: BreakglassDevice;
};

export type BreakglassConnection = BreakglassState & {
	session: SshSession;
	device: BreakglassDevice;
	host: string;
	port: number;
};

/** Steps 1 to 4: status, start, port wait, SSH connection with host key check and key authentication. */
export async function connectBreakglass(target: DeviceTarget, options: BreakglassConnectOptions): Promise<BreakglassConnection> {
	const device = options.device ?? new DeviceClient(target);
	const host = sshHostOf(target);
	const port = sshPortOf(target, options.sshPort);
	const state = await ensureBreakglassRunning(device, {
		deviceName: target.name,
		host,
		port,
		portTimeoutMs: options.portTimeoutMs,
		onProgress: options.onProgress,
		signal: options.signal,
	});
	options.onProgress?.({phase: 'connecting', device: target.name, host, port});
	const session = await SshSession.connect({
		device: target.name,
		host,
		port,
		username: options.username,
		keys: options.keys,
		hostKeys: options.hostKeys,
		signal: options.signal,
	});
	return {...state, session, device, host, port};
}

/** `--upload dbg-${GOARCH}.tar` → `dbg-arm64.tar`, from what the device answered. */
export function expandUploadName(file: string, goarch: string): string {
	return file.replaceAll('${GOARCH}', goarch).replaceAll('$GOARCH', goarch);
}

/** Step 7 (--stop-after): stops breakglass again; a failure is reported, not thrown, since the session itself went fine. */
export async function stopBreakglass(device: BreakglassDevice, deviceName: string, onProgress?: (progress: BreakglassProgress) => void): Promise<string | undefined> {
	onProgress?.({phase: 'stopping', device: deviceName});
	try {
		await device.stop(breakglassPath);
		return undefined;
	} catch (error) {
		return isDeviceError(error) ? error.message : `${deviceName}: stopping breakglass failed: ${(error as Error).message}`;
	}
}
