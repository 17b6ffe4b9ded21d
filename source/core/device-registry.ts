// Every device krazy-tui knows (gok instances and saved devices) and the resolution of a DEVICE argument into a target.
import {readFile} from 'node:fs/promises';
import os from 'node:os';
import {DeviceError} from './device-error.js';
import {isUrlLike, sameDevice, redactUrl, targetFromUrl, type DeviceTarget} from './device-target.js';
import {discoverGokInstances, gokParentDir, hostCertificatePath, type ConfigProblem} from './gok-config.js';
import {readSettings, type SavedDevice, type SettingsLocation} from './settings.js';

export type {ConfigProblem} from './gok-config.js';
export {redactUrl} from './device-target.js';

export type RegistryOptions = SettingsLocation;

export type KnownDevices = {
	/** gok instances (by folder name), then saved devices (in the order they were added); names are unique. */
	targets: DeviceTarget[];
	/** Warnings, one line each naming the file: broken config.json files, unreadable certificates, name clashes. */
	problems: ConfigProblem[];
};

export type ResolveOptions = RegistryOptions & {
	/** From --password-file: wins over every other password. */
	passwordOverride?: string;
};

/** The host environment of a command: its env, and the home folder Go's os.UserHomeDir would use. */
export function registryOptionsFrom(env: NodeJS.ProcessEnv): RegistryOptions {
	return {env, home: env.HOME || env.USERPROFILE || os.homedir()};
}

/**
 * gok instances and saved devices. On a name clash the saved device wins (the user named it on purpose, and
 * `devices add` refuses names that are taken, so a clash means the gok instance appeared later); the clash is
 * reported as a problem.
 */
export async function listKnownDevices(options: RegistryOptions): Promise<KnownDevices> {
	const [gok, saved] = await Promise.all([discoverGokInstances(options), readSettings(options)]);
	const problems = [...gok.problems, ...saved.problems];
	const savedTargets = await Promise.all(saved.settings.devices.map(async device => savedDeviceTarget(device, saved.path)));
	const savedNames = new Set(saved.settings.devices.map(device => device.name));
	const targets: DeviceTarget[] = [];
	// A saved device at a gok instance's address is that instance: one row, under the saved name, saying both.
	const merged = new Set<DeviceTarget>();
	const twinOf = new Map<DeviceTarget, DeviceTarget>();
	for (const {target: savedTarget} of savedTargets) {
		const twin = gok.targets.find(candidate => sameDevice(candidate.url, savedTarget.url) && !twinOf.has(candidate));
		if (twin) {
			twinOf.set(twin, savedTarget);
			merged.add(savedTarget);
		}
	}

	for (const target of gok.targets) {
		const twin = twinOf.get(target);
		if (twin) {
			targets.push(mergeTargets(twin, target));
			continue;
		}

		if (savedNames.has(target.name)) {
			problems.push({
				path: saved.path,
				message: `${saved.path}: the saved device "${target.name}" hides the gok instance of the same name (${target.origin})`,
				device: target.name,
			});
		} else {
			targets.push(target);
		}
	}

	for (const {target, problem} of savedTargets) {
		if (!merged.has(target)) {
			targets.push(target);
		}

		if (problem) {
			problems.push(problem);
		}
	}

	return {targets, problems};
}

/**
 * One target for a saved device and the gok instance at its address: the saved name (the user chose it) and the
 * saved password, SSH port and certificate where given; the rest (source, origin: what updates build from) the gok
 * instance's.
 */
function mergeTargets(saved: DeviceTarget, gok: DeviceTarget): DeviceTarget {
	const target: DeviceTarget = {
		...gok,
		name: saved.name,
		sources: [
			{source: 'saved', name: saved.name, origin: saved.origin},
			{source: 'gok', name: gok.name, origin: gok.origin},
		],
	};
	for (const key of ['password', 'sshPort', 'nodeExporterUrl', 'certificate', 'certificatePath'] as const) {
		if (saved[key] !== undefined) {
			(target as Record<typeof key, unknown>)[key] = saved[key];
		}
	}

	return target;
}

/** A saved device as a target, its certificate loaded for pinning. */
export async function savedDeviceTarget(device: SavedDevice, settingsFile: string): Promise<{target: DeviceTarget; problem?: ConfigProblem}> {
	const target: DeviceTarget = {name: device.name, url: device.url.replace(/\/+$/, ''), source: 'saved', origin: settingsFile};
	if (device.password !== undefined) {
		target.password = device.password;
	}

	if (device.sshPort !== undefined) {
		target.sshPort = device.sshPort;
	}

	if (device.nodeExporterUrl !== undefined) {
		target.nodeExporterUrl = device.nodeExporterUrl;
	}

	if (device.certificatePath === undefined) {
		return {target};
	}

	target.certificatePath = device.certificatePath;
	try {
		target.certificate = await readFile(device.certificatePath, 'utf8');
		return {target};
	} catch (error) {
		const cause = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((error as Error).message ?? error);
		return {
			target,
			problem: {
				path: device.certificatePath,
				message: `${device.certificatePath}: cannot read the certificate of saved device "${device.name}": ${cause}`,
				device: device.name,
			},
		};
	}
}

/**
 * DEVICE as the user wrote it → a target. A URL `http[s]://[gokrazy:PASSWORD@]host[:port]`, else the name of a
 * saved device or a gok instance. Passwords, strongest first: `passwordOverride` (--password-file), the URL's own,
 * $KRAZY_PASSWORD, the stored one. A URL whose host is a known device's host borrows its pinned certificate (and,
 * for the very same base URL, its password and SSH port), so `https://casa` still pins like `casa` does.
 */
export async function resolveDevice(spec: string, options: ResolveOptions): Promise<DeviceTarget> {
	const environmentPassword = options.env.KRAZY_PASSWORD || undefined;
	if (isUrlLike(spec)) {
		return resolveUrl(spec, options, environmentPassword);
	}

	if (spec.trim() === '') {
		throw new DeviceError('(no device)', 'usage', 'the device name is empty');
	}

	const known = await listKnownDevices(options);
	// A merged device answers to its gok instance's name too.
	const found = known.targets.find(target => target.name === spec) ?? known.targets.find(target => target.sources?.some(source => source.name === spec));
	if (!found) {
		const problem = known.problems.find(candidate => candidate.device === spec);
		if (problem) {
			throw new DeviceError(spec, 'config', problem.message);
		}

		const names = known.targets.map(target => target.name);
		const knownText = names.length > 0 ? `; known devices: ${names.join(', ')}` : '';
		// Not a URL to this parser, but it may still be one mistyped ("http:://gokrazy:secret@host"): never repeat a password.
		const shown = redactUrl(spec);
		throw new DeviceError(
			shown,
			'config',
			`unknown device: not a gok instance in ${gokParentDir(options)} nor a saved device (add it with "krazy-tui devices add ${shown} http://gokrazy:PASSWORD@HOST", or give a URL)${knownText}`,
		);
	}

	const blocking = known.problems.find(candidate => candidate.device === spec && candidate.blocking);
	if (blocking) {
		throw new DeviceError(spec, 'config', blocking.message);
	}

	const target = {...found};
	const password = options.passwordOverride ?? environmentPassword ?? found.password;
	if (password === undefined) {
		delete target.password;
	} else {
		target.password = password;
	}

	return target;
}

/**
 * targetFromUrl, with a URL without a host named as such and the password never repeated in a message: errors are
 * 'usage' DeviceErrors whose device is the URL with its password replaced by ***.
 */
export function parseDeviceUrl(spec: string): DeviceTarget {
	if (/^[a-z][a-z\d+.-]*:\/\/(?:[^/?#]*@)?(?:[/?#:]|$)/i.test(spec)) {
		throw new DeviceError(redactUrl(spec), 'usage', 'the URL has no host (expected http[s]://[gokrazy:PASSWORD@]host[:port])');
	}

	try {
		return targetFromUrl(spec);
	} catch (error) {
		// The text may carry a password: never repeat it in a message.
		if (error instanceof DeviceError) {
			throw new DeviceError(redactUrl(spec), error.kind, error.causeText, error.status);
		}

		throw error;
	}
}

async function resolveUrl(spec: string, options: ResolveOptions, environmentPassword: string | undefined): Promise<DeviceTarget> {
	const target = parseDeviceUrl(spec);
	const {targets} = await listKnownDevices(options);
	const hostname = new URL(target.url).hostname.toLowerCase();
	const sameUrl = targets.find(known => known.url.toLowerCase() === target.url.toLowerCase());
	const sameHost = targets.find(known => known.certificate !== undefined && hostnameOf(known.url) === hostname);
	const password = options.passwordOverride ?? target.password ?? environmentPassword ?? sameUrl?.password;
	if (password === undefined) {
		delete target.password;
	} else {
		target.password = password;
	}

	if (sameUrl?.sshPort !== undefined) {
		target.sshPort = sameUrl.sshPort;
	}

	if (sameUrl?.nodeExporterUrl !== undefined) {
		target.nodeExporterUrl = sameUrl.nodeExporterUrl;
	}

	if (target.url.startsWith('https:')) {
		const pinned = sameUrl?.certificate === undefined ? sameHost : sameUrl;
		if (pinned?.certificate !== undefined) {
			target.certificate = pinned.certificate;
			target.certificatePath = pinned.certificatePath;
		} else {
			// gok itself looks for hosts/<URL host>/cert.pem.
			const certificatePath = hostCertificatePath(options, hostname.replace(/^\[|\]$/g, ''));
			if (certificatePath !== undefined) {
				try {
					target.certificate = await readFile(certificatePath, 'utf8');
					target.certificatePath = certificatePath;
				} catch {
					// No pinned certificate: the system's trust store decides.
				}
			}
		}
	}

	return target;
}

/** The password file of --password-file: its first line ending is dropped, everything else is the password. */
export async function readPasswordFile(file: string): Promise<string> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const cause = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((error as Error).message ?? error);
		throw new DeviceError(file, 'config', `cannot read the password file: ${cause}`);
	}

	const password = text.replace(/\r?\n$/, '');
	if (password === '') {
		throw new DeviceError(file, 'config', 'the password file is empty');
	}

	return password;
}

function hostnameOf(url: string): string | undefined {
	try {
		return new URL(url).hostname.toLowerCase();
	} catch {
		return undefined;
	}
}
