// Flags every device command shares (--password-file, --timeout) and turning DEVICE arguments into clients.
import {DeviceClient} from '../core/device-client.js';
import {DeviceError} from '../core/device-error.js';
import {redactUrlsIn, type DeviceTarget} from '../core/device-target.js';
import {readPasswordFile, registryOptionsFrom, resolveDevice} from '../core/device-registry.js';
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

export async function resolveTarget(spec: string, values: DeviceFlagValues, io: CommandIo): Promise<DeviceTarget> {
	const passwordOverride = values['password-file'] === undefined ? undefined : await readPasswordFile(values['password-file']);
	return resolveDevice(spec, {...registryOptionsFrom(io.env), passwordOverride});
}

export async function openClient(command: string, spec: string, values: DeviceFlagValues, io: CommandIo): Promise<DeviceClient> {
	const target = await resolveTarget(spec, values, io);
	return new DeviceClient(target, {timeoutMs: timeoutMs(command, values), signal: io.signal});
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
