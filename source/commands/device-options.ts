// Flags every device command shares (--password-file, --timeout) and the one way DEVICE arguments become devices:
// `resolveFleet` for the commands over many (status, the dashboard, the wall), `resolveOne` and `openClient` for one.
import {DeviceClient} from '../core/device-client.js';
import {DeviceError} from '../core/device-error.js';
import {redactUrlsIn, type DeviceTarget} from '../core/device-target.js';
import {listKnownDevices, readPasswordFile, registryOptionsFrom, resolveDevice, type ConfigProblem} from '../core/device-registry.js';
import {readLimits} from '../core/read-limits.js';
import {oneLine} from '../core/sanitize-terminal.js';
import {UsageError, type CommandIo} from './command-io.js';

export const deviceFlags = {
	'password-file': {type: 'string'},
	timeout: {type: 'string'},
	help: {type: 'boolean', short: 'h'},
} as const;

export type DeviceFlagValues = {'password-file'?: string; timeout?: string};

/** --timeout SECONDS (default 5) as milliseconds. */
export function timeoutMs(command: string, values: DeviceFlagValues): number | undefined {
	if (values.timeout === undefined) {
		return undefined;
	}

	const seconds = Number(values.timeout);
	if (!Number.isFinite(seconds) || seconds <= 0) {
		throw new UsageError(`${command}: --timeout wants a number of seconds, not ${JSON.stringify(values.timeout)}`);
	}

	return Math.round(seconds * 1000);
}

/** --settle SECONDS (0 to 3600) as milliseconds: the health gate of update, rollback and the dashboard's update pane. */
export function settleMs(command: string, text: string | undefined): number | undefined {
	if (text === undefined) {
		return undefined;
	}

	const seconds = Number(text);
	if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
		throw new UsageError(`${command}: --settle wants a number of seconds from 0 to 3600, not ${JSON.stringify(text)}`);
	}

	return Math.round(seconds * 1000);
}

/** The message when there is no device to show, the same for every command. */
export const noDevicesMessage = 'no devices known: add one with "krazy-tui devices add NAME URL", create one with "gok new", give a URL, or try "krazy-tui demo"';

export type ResolvedFleet = {
	targets: DeviceTarget[];
	/** Configuration problems met while listing the known devices (one line each, naming the file). */
	problems: ConfigProblem[];
	/** --timeout, checked; undefined: the client's default. */
	timeoutMs: number | undefined;
};

/**
 * The devices a fleet command works on: the DEVICE arguments, or every known device when none is given. Flags are
 * checked before anything is read (a bad --timeout is a usage error), the same device twice is a usage error, and
 * no device at all is an error saying how to add one. Problems are returned for the caller to show where its user
 * looks (stderr, or the dashboard's footer).
 */
export async function resolveFleet(command: string, positionals: readonly string[], values: DeviceFlagValues, io: CommandIo, {allowNone = false}: {allowNone?: boolean} = {}): Promise<ResolvedFleet> {
	const timeout = timeoutMs(command, values);
	let targets: DeviceTarget[];
	let problems: ConfigProblem[] = [];
	if (positionals.length > 0) {
		if (new Set(positionals).size !== positionals.length) {
			throw new UsageError(`${command}: the same device was given twice`);
		}

		targets = await Promise.all(positionals.map(async spec => resolveTarget(spec, values, io)));
	} else {
		const known = await listKnownDevices(registryOptionsFrom(io.env));
		targets = known.targets;
		problems = known.problems;
	}

	if (targets.length === 0 && !allowNone) {
		// What kept the known devices from being read comes first: it is usually why there are none.
		reportProblems(io, problems);
		throw new DeviceError('krazy-tui', 'config', noDevicesMessage);
	}

	return {targets, problems, timeoutMs: timeout};
}

/** One DEVICE argument as a target, with --timeout checked. */
export async function resolveOne(command: string, spec: string, values: DeviceFlagValues, io: CommandIo): Promise<{target: DeviceTarget; timeoutMs: number | undefined}> {
	const timeout = timeoutMs(command, values);
	return {target: await resolveTarget(spec, values, io), timeoutMs: timeout};
}

async function resolveTarget(spec: string, values: DeviceFlagValues, io: CommandIo): Promise<DeviceTarget> {
	const passwordOverride = values['password-file'] === undefined ? undefined : await readPasswordFile(values['password-file']);
	return resolveDevice(spec, {...registryOptionsFrom(io.env), passwordOverride});
}

export async function openClient(command: string, spec: string, values: DeviceFlagValues, io: CommandIo): Promise<DeviceClient> {
	const {target, timeoutMs: timeout} = await resolveOne(command, spec, values, io);
	return new DeviceClient(target, {timeoutMs: timeout, signal: io.signal});
}

/** Configuration problems, one line each on stderr (for commands that do not own the terminal). */
export function reportProblems(io: CommandIo, problems: readonly ConfigProblem[]): void {
	for (const problem of problems) {
		writeErrorLine(io.stderr, problem.message);
	}
}

/** DEVICE and SERVICE positionals, or a usage error naming what is missing. */
export function deviceAndService(command: string, positionals: string[]): [string, string] {
	const [device, service, ...rest] = positionals;
	if (device === undefined || service === undefined) {
		throw new UsageError(`${command}: expected DEVICE SERVICE (see krazy-tui ${command} --help)`);
	}

	if (rest.length > 0) {
		throw new UsageError(`${command}: unexpected argument ${JSON.stringify(rest[0])}`);
	}

	if (service === '' || service === '/') {
		throw new UsageError(`${command}: the service name is empty`);
	}

	return [device, service];
}

/** One line on stderr about a device: cleaned, bounded, URLs redacted, whoever made the text. */
export function writeErrorLine(stream: NodeJS.WritableStream, text: string): void {
	stream.write(`${oneLine(redactUrlsIn(text), readLimits.messageChars)}\n`);
}

export function writeLine(stream: NodeJS.WritableStream, text: string): void {
	stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** The one line a failed command prints: the DeviceError's own message, or the device name and the cause. */
export function failureLine(error: unknown, device?: string): string {
	if (error instanceof DeviceError) {
		return error.message;
	}

	const message = oneLine(error instanceof Error ? error.message : String(error), readLimits.messageChars);
	return device ? `${device}: ${message}` : message;
}
