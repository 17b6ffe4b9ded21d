// `krazy-tui devices [list|add NAME URL|remove NAME]`: the devices krazy-tui knows, and the ones the user saves.
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {parseCommandArgs, UsageError, type Command, type CommandIo} from './command-io.js';
import {describeError, DeviceError} from '../core/device-error.js';
import {displayUrl, isUrlLike, type DeviceTarget} from '../core/device-target.js';
import {jsonForTerminal} from '../core/sanitize-terminal.js';
import {
	listKnownDevices,
	parseDeviceUrl,
	readPasswordFile,
	redactUrl,
	registryOptionsFrom,
	type RegistryOptions,
} from '../core/device-registry.js';
import {addSavedDevice, removeSavedDevice, setSetting, settingsPath, type SavedDevice} from '../core/settings.js';

const usage = 'usage: krazy-tui devices [list|add NAME URL|remove NAME|prometheus URL|prometheus off] [--json] [--password-file FILE] [--certificate FILE] [--ssh-port N] [--node-exporter URL]';

const help = `Usage: krazy-tui devices [list|add NAME URL|remove NAME|prometheus URL|prometheus off] [--json]
       [--password-file FILE] [--certificate FILE] [--ssh-port N] [--node-exporter URL]

Lists every device krazy-tui knows (gok instances, then saved devices; a saved device at a gok instance's address is
one device, shown under the saved name), saves one, or forgets one.
list (default)        NAME, URL, SOURCE and ORIGIN of each device; problems with the configuration on stderr.
add NAME URL          saves a device: URL is http[s]://[gokrazy:PASSWORD@]host[:port]; --password-file FILE,
                      --certificate FILE (its self-signed certificate, pinned), --ssh-port N (breakglass),
                      --node-exporter URL (when not on the device's :9100).
remove NAME           forgets a saved device (gok instances are gok's to remove).
prometheus URL|off    the Prometheus server status and the dashboard ask for history and alerts.
--json                the list as JSON.`;

const options = {
	json: {type: 'boolean'},
	'password-file': {type: 'string'},
	certificate: {type: 'string'},
	'ssh-port': {type: 'string'},
	'node-exporter': {type: 'string'},
	help: {type: 'boolean', short: 'h'},
} as const;

type Flags = {
	json?: boolean;
	'password-file'?: string;
	certificate?: string;
	'ssh-port'?: string;
	'node-exporter'?: string;
};

export const devicesCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('devices', args, options);
	if (values.help) {
		write(io.stdout, help);
		return 0;
	}

	const [action = 'list', ...rest] = positionals;
	const registry = registryOptionsFrom(io.env);
	try {
		switch (action) {
			case 'list': {
				expectArguments(action, rest, 0);
				rejectFlags(action, values, ['password-file', 'certificate', 'ssh-port', 'node-exporter']);
				return await listDevices(io, registry, values.json === true);
			}

			case 'add': {
				expectArguments(action, rest, 2);
				return await addDevice(io, registry, rest[0], rest[1], values);
			}

			case 'remove': {
				expectArguments(action, rest, 1);
				rejectFlags(action, values, ['password-file', 'certificate', 'ssh-port', 'node-exporter']);
				return await removeDevice(io, registry, rest[0], values.json === true);
			}

			case 'prometheus': {
				// The Prometheus server status (and later the dashboard) reads alerts, history and more devices from.
				expectArguments(action, rest, 1);
				rejectFlags(action, values, ['password-file', 'certificate', 'ssh-port', 'node-exporter']);
				const url = rest[0] === 'off' ? null : rest[0]!;
				if (url !== null && !/^https?:\/\/\S+$/.test(url)) {
					throw new UsageError(`devices prometheus: expects an http(s) URL or off, not ${JSON.stringify(url)}`);
				}

				await setSetting(registry, 'prometheusUrl', url);
				write(io.stdout, url === null ? 'Prometheus: off' : `Prometheus: ${redactUrl(url)}`);
				return 0;
			}

			default: {
				throw new UsageError(`devices: unknown action "${action}"\n${usage}`);
			}
		}
	} catch (error) {
		if (error instanceof UsageError) {
			throw error;
		}

		write(io.stderr, describeError(error));
		return 1;
	}
};

async function listDevices(io: CommandIo, registry: RegistryOptions, json: boolean): Promise<number> {
	const {targets, problems} = await listKnownDevices(registry);
	if (json) {
		const document = {
			devices: targets.map(target => ({
				name: target.name,
				url: displayUrl(target),
				source: target.source,
				origin: target.origin,
				nodeExporterUrl: target.nodeExporterUrl,
				...(target.sources ? {sources: target.sources} : {}),
			})),
			problems: problems.map(problem => ({path: problem.path, message: problem.message})),
		};
		write(io.stdout, jsonForTerminal(document));
		return 0;
	}

	// Problems are warnings: a broken file is named, and every device that did load is still listed.
	for (const problem of problems) {
		write(io.stderr, `warning: ${problem.message}`);
	}

	if (targets.length === 0) {
		write(io.stderr, 'no devices: create one with gok new, or save one with "krazy-tui devices add NAME http://gokrazy:PASSWORD@HOST"');
		return 0;
	}

	const rows = targets.map(target => [target.name, displayUrl(target), target.sources ? target.sources.map(source => source.source).join('+') : target.source, describeOrigin(target)]);
	const header = ['NAME', 'URL', 'SOURCE', 'ORIGIN'];
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map(row => row[column].length)));
	for (const row of [header, ...rows]) {
		write(io.stdout, row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  '));
	}

	return 0;
}

function describeOrigin(target: DeviceTarget): string {
	const parts = [target.origin ?? ''];
	if (target.certificatePath !== undefined) {
		parts.push(`(certificate ${target.certificatePath})`);
	}

	if (target.nodeExporterUrl !== undefined) {
		parts.push(`(node exporter ${target.nodeExporterUrl})`);
	}

	return parts.filter(Boolean).join(' ');
}

async function addDevice(io: CommandIo, registry: RegistryOptions, name: string, urlText: string, flags: Flags): Promise<number> {
	if (!isUsableName(name)) {
		throw new UsageError(`devices add: "${name}" cannot be a device name (use letters, digits, and . _ - without spaces, not a URL)`);
	}

	const target = parseAddUrl(urlText);
	const sshPort = flags['ssh-port'] === undefined ? undefined : parseSshPort(flags['ssh-port']);
	const nodeExporterUrl = flags['node-exporter'] === undefined ? undefined : parseNodeExporterUrl(flags['node-exporter'], target);
	const {targets} = await listKnownDevices(registry);
	const taken = targets.find(known => known.name === name);
	if (taken) {
		const where = taken.source === 'gok' ? `a gok instance (${taken.origin})` : `a saved device (${taken.url})`;
		throw new DeviceError(name, 'config', `this name is taken by ${where}; remove it first or choose another name`);
	}

	const password = flags['password-file'] === undefined ? (target.password ?? (registry.env.KRAZY_PASSWORD || undefined)) : await readPasswordFile(flags['password-file']);
	const device: SavedDevice = {name, url: target.url};
	if (password !== undefined) {
		device.password = password;
	}

	if (flags.certificate !== undefined) {
		device.certificatePath = await checkCertificate(flags.certificate);
	}

	if (sshPort !== undefined) {
		device.sshPort = sshPort;
	}

	if (nodeExporterUrl !== undefined) {
		device.nodeExporterUrl = nodeExporterUrl;
	}

	await addSavedDevice(registry, device);
	const file = settingsPath(registry);
	if (flags.json) {
		write(io.stdout, jsonForTerminal({device: {name, url: device.url, source: 'saved', origin: file}}));
	} else {
		const passwordNote = password === undefined ? 'without a password' : 'with its password';
		write(io.stdout, `added ${name}: ${device.url} (${passwordNote}, saved in ${file})`);
	}

	return 0;
}

async function removeDevice(io: CommandIo, registry: RegistryOptions, name: string, json: boolean): Promise<number> {
	const removed = await removeSavedDevice(registry, name);
	if (!removed) {
		const {targets} = await listKnownDevices(registry);
		const gok = targets.find(target => target.name === name && target.source === 'gok');
		const cause = gok ? `is a gok instance (${gok.origin}), not a saved device; krazy-tui does not remove gok instances` : 'no saved device with this name';
		throw new DeviceError(name, 'config', cause);
	}

	write(io.stdout, json ? jsonForTerminal({removed: name}) : `removed ${name}`);
	return 0;
}

/** The URL as a target; every complaint names the URL without its password. */
function parseAddUrl(text: string): DeviceTarget {
	if (!isUrlLike(text)) {
		throw new UsageError(`devices add: "${redactUrl(text)}" is not a URL (expected http[s]://[gokrazy:PASSWORD@]host[:port])`);
	}

	let target: DeviceTarget;
	try {
		target = parseDeviceUrl(text);
	} catch (error) {
		throw new UsageError(`devices add: ${describeError(error)}`);
	}

	const parsed = new URL(text);
	if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
		throw new UsageError(`devices add: ${redactUrl(text)}: give only the device's base URL, without a path or query`);
	}

	return target;
}

function parseSshPort(text: string): number {
	const port = Number(text);
	if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
		throw new UsageError(`devices add: --ssh-port ${text} is not a port number`);
	}

	return port;
}

/**
 * `--node-exporter`: a URL (`/metrics` when it gives no path), or just `:PORT` on the device's own host. It is
 * scraped without credentials, as node_exporter serves it.
 */
function parseNodeExporterUrl(text: string, device: DeviceTarget): string {
	const spec = /^:\d+$/.test(text) ? `http://${new URL(device.url).host.replace(/:\d+$/, '')}${text}` : text;
	let url: URL;
	try {
		url = new URL(spec);
	} catch {
		url = new URL('invalid:');
	}

	const port = Number(url.port || 80);
	if (!['http:', 'https:'].includes(url.protocol) || url.hostname === '' || url.username !== '' || port < 1 || port > 65_535) {
		throw new UsageError(`devices add: --node-exporter ${redactUrl(text)} is not an http(s) URL without credentials, or :PORT (e.g. http://10.0.0.23:9200/metrics)`);
	}

	if (url.pathname === '/') {
		url.pathname = '/metrics';
	}

	return url.href;
}

async function checkCertificate(file: string): Promise<string> {
	const absolute = path.resolve(file);
	let text: string;
	try {
		text = await readFile(absolute, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new DeviceError(absolute, 'config', `cannot read the certificate: ${code === 'ENOENT' ? 'no such file' : String((error as Error).message)}`);
	}

	if (!text.includes('-----BEGIN CERTIFICATE-----')) {
		throw new DeviceError(absolute, 'config', 'not a PEM certificate (no BEGIN CERTIFICATE line)');
	}

	return absolute;
}

/** Names are typed on command lines and shown in tables: no spaces, no control characters, nothing like a URL or a flag. */
function isUsableName(name: string): boolean {
	return /^[\p{L}\p{N}._-]+$/u.test(name) && !name.startsWith('-') && !isUrlLike(name) && name.length <= 64;
}

function expectArguments(action: string, rest: string[], count: number): void {
	if (rest.length !== count) {
		const what = count === 0 ? 'no arguments' : `${count} argument${count === 1 ? '' : 's'}`;
		throw new UsageError(`devices ${action}: expects ${what}, got ${rest.length}\n${usage}`);
	}
}

function rejectFlags(action: string, values: Flags, names: Array<keyof Flags>): void {
	for (const name of names) {
		if (values[name] !== undefined) {
			throw new UsageError(`devices ${action}: --${name} only goes with devices add`);
		}
	}
}

function write(stream: NodeJS.WritableStream, line: string): void {
	stream.write(`${line}\n`);
}
