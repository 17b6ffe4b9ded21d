// krazy-tui's own settings and saved devices: read straight from conf's JSON file, written through conf (loaded only then).
import {readFileSync} from 'node:fs';
import {mkdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {DeviceError} from './device-error.js';
import {describeJsonError, type ConfigProblem, type HostEnvironment} from './gok-config.js';

export const settingsProjectName = 'krazy-tui';

export const themes = ['auto', 'dark', 'light', 'mono'] as const;
export type Theme = (typeof themes)[number];

/** A device added with `krazy-tui devices add`. The password is kept in the settings file, which only its owner can read. */
export type SavedDevice = {
	name: string;
	/** Without credentials. */
	url: string;
	password?: string;
	/** A PEM file holding the device's certificate, trusted exactly for this device. */
	certificatePath?: string;
	sshPort?: number;
	/** The node exporter's metrics URL, when not on the device's :9100. */
	nodeExporterUrl?: string;
};

/** Where the dashboard was left: it opens there next time (when that device is still in the fleet). */
export type LastView = {
	readonly view: 'devices' | 'services' | 'logs';
	readonly device: string;
	/** The service selected (services) or shown (logs). */
	readonly service: string | null;
};

const lastViews = ['devices', 'services', 'logs'] as const;

export type Settings = {
	pollIntervalMs: number;
	theme: Theme;
	logBufferLines: number;
	/** The Prometheus server holding the fleet's history, targets and alerts (`--prometheus`); null: none. */
	prometheusUrl: string | null;
	/** The image file the flashing wizard wrote or checked last: it starts with it. */
	lastImage: string | null;
	/** Written by the dashboard when it quits. */
	lastView: LastView | null;
	devices: SavedDevice[];
};

/** The settings that are not lists: what `setSetting` changes. */
export type ScalarSettingKey = Exclude<keyof Settings, 'devices'>;

export const defaultSettings: Readonly<Settings> = Object.freeze({
	pollIntervalMs: 2000,
	theme: 'auto',
	logBufferLines: 10_000,
	prometheusUrl: null,
	lastImage: null,
	lastView: null,
	devices: [],
});

/** Where to find the settings: the host's environment, and optionally a folder that replaces the usual one. */
export type SettingsLocation = HostEnvironment & {
	/** Overrides both $KRAZY_TUI_CONFIG_DIR and the platform's folder. */
	configDir?: string;
};

/** The file holds the passwords of saved devices: only its owner may read it. */
export const settingsFileMode = 0o600;
const settingsDirectoryMode = 0o700;

/**
 * The folder conf would pick (env-paths' config folder for "krazy-tui" with conf's "-nodejs" suffix), computed from
 * the given environment rather than the process's, unless `configDir` or $KRAZY_TUI_CONFIG_DIR names another.
 */
export function settingsDirectory(location: SettingsLocation): string {
	const {env, home, platform = process.platform} = location;
	const override = location.configDir || env.KRAZY_TUI_CONFIG_DIR;
	if (override) {
		return path.resolve(override);
	}

	const folder = `${settingsProjectName}-nodejs`;
	if (platform === 'darwin') {
		return path.join(home, 'Library', 'Preferences', folder);
	}

	if (platform === 'win32') {
		return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), folder, 'Config');
	}

	return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), folder);
}

/**
 * The user's data folder for krazy-tui (saved logs): $KRAZY_TUI_DATA_DIR, else the platform's (XDG_DATA_HOME or
 * ~/.local/share, ~/Library/Application Support, %LOCALAPPDATA%), never the current folder.
 */
export function dataDirectory(location: SettingsLocation): string {
	const {env, home, platform = process.platform} = location;
	if (env.KRAZY_TUI_DATA_DIR) {
		return path.resolve(env.KRAZY_TUI_DATA_DIR);
	}

	if (platform === 'darwin') {
		return path.join(home, 'Library', 'Application Support', settingsProjectName);
	}

	if (platform === 'win32') {
		return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), settingsProjectName, 'Data');
	}

	return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), settingsProjectName);
}

export function settingsPath(location: SettingsLocation): string {
	return path.join(settingsDirectory(location), 'config.json');
}

export type SettingsRead = {
	settings: Settings;
	path: string;
	/** Values that were unusable and replaced by their defaults, or a file that could not be read at all. */
	problems: ConfigProblem[];
};

/**
 * Reads the settings with nothing but node:fs, so scripted commands do not pay for loading conf and ajv.
 * A missing file gives the defaults; a broken one gives the defaults and a problem naming the file and the error.
 */
export async function readSettings(location: SettingsLocation): Promise<SettingsRead> {
	const file = settingsPath(location);
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return {settings: copyDefaults(), path: file, problems: []};
		}

		return {settings: copyDefaults(), path: file, problems: [{path: file, message: `${file}: cannot read: ${errorText(error)}`}]};
	}

	let stored: unknown;
	try {
		stored = JSON.parse(text);
	} catch (error) {
		return {settings: copyDefaults(), path: file, problems: [{path: file, message: `${file}: invalid JSON: ${describeJsonError(text, error)}`}]};
	}

	const {settings, problems} = settingsFromStored(stored, file);
	return {settings, path: file, problems};
}

/**
 * Turns whatever the file holds into typed settings: unknown keys are ignored, unusable values fall back to their
 * defaults and are reported, broken device entries are skipped and reported.
 */
export function settingsFromStored(stored: unknown, file: string): {settings: Settings; problems: ConfigProblem[]} {
	const {settings, problems} = decodeStored(stored, file);
	return {settings, problems};
}

type Decoded = {settings: Settings; problems: ConfigProblem[]; skippedDevices: unknown[]};

function decodeStored(stored: unknown, file: string): Decoded {
	const settings = copyDefaults();
	const problems: ConfigProblem[] = [];
	const skippedDevices: unknown[] = [];
	const report = (message: string, device?: string) => problems.push({path: file, message: `${file}: ${message}`, device});
	if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
		report('expected a JSON object; using the default settings');
		return {settings, problems, skippedDevices};
	}

	const values = stored as Record<string, unknown>;
	if (values.pollIntervalMs !== undefined) {
		if (isNumberAtLeast(values.pollIntervalMs, 100)) {
			settings.pollIntervalMs = values.pollIntervalMs;
		} else {
			report(`pollIntervalMs must be a number of milliseconds of at least 100; using ${defaultSettings.pollIntervalMs}`);
		}
	}

	if (values.theme !== undefined) {
		if (themes.includes(values.theme as Theme)) {
			settings.theme = values.theme as Theme;
		} else {
			report(`theme must be one of ${themes.join(', ')}; using ${defaultSettings.theme}`);
		}
	}

	if (values.logBufferLines !== undefined) {
		if (isNumberAtLeast(values.logBufferLines, 1) && Number.isInteger(values.logBufferLines)) {
			settings.logBufferLines = values.logBufferLines;
		} else {
			report(`logBufferLines must be a whole number of at least 1; using ${defaultSettings.logBufferLines}`);
		}
	}

	if (values.prometheusUrl !== undefined && values.prometheusUrl !== null) {
		if (typeof values.prometheusUrl === 'string' && /^https?:\/\/\S+$/.test(values.prometheusUrl)) {
			settings.prometheusUrl = values.prometheusUrl;
		} else {
			report('prometheusUrl must be an http(s) URL or null; not using Prometheus');
		}
	}

	if (values.lastImage !== undefined && values.lastImage !== null) {
		if (typeof values.lastImage === 'string' && values.lastImage !== '' && !/[\u0000-\u001f]/.test(values.lastImage)) {
			settings.lastImage = values.lastImage;
		} else {
			report('lastImage must be a file path or null; not using it');
		}
	}

	if (values.lastView !== undefined && values.lastView !== null) {
		const last = values.lastView as Record<string, unknown>;
		if (typeof last === 'object' && lastViews.includes(last.view as LastView['view']) && typeof last.device === 'string'
			&& (last.service === null || last.service === undefined || typeof last.service === 'string')) {
			settings.lastView = {view: last.view as LastView['view'], device: last.device, service: (last.service as string | null | undefined) ?? null};
		}

		// Otherwise forgotten quietly: it is only where the dashboard opens.
	}

	if (values.devices !== undefined) {
		if (Array.isArray(values.devices)) {
			for (const [index, entry] of values.devices.entries()) {
				const device = savedDeviceFromStored(entry);
				if (typeof device === 'string') {
					const name = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).name : undefined;
					report(`devices[${index}] skipped: ${device}`, typeof name === 'string' ? name : undefined);
					skippedDevices.push(entry);
				} else {
					settings.devices.push(device);
				}
			}
		} else {
			report('devices must be an array; no saved devices loaded');
		}
	}

	return {settings, problems, skippedDevices};
}

/** The entry as a saved device, or why it is not one. */
function savedDeviceFromStored(entry: unknown): SavedDevice | string {
	if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
		return 'not an object';
	}

	const {name, url, password, certificatePath, sshPort, nodeExporterUrl} = entry as Record<string, unknown>;
	if (typeof name !== 'string' || name === '') {
		return 'no name';
	}

	if (typeof url !== 'string' || url === '') {
		return `${name} has no url`;
	}

	const device: SavedDevice = {name, url};
	if (password !== undefined) {
		if (typeof password !== 'string') {
			return `${name}: password must be a string`;
		}

		device.password = password;
	}

	if (certificatePath !== undefined) {
		if (typeof certificatePath !== 'string') {
			return `${name}: certificatePath must be a string`;
		}

		device.certificatePath = certificatePath;
	}

	if (sshPort !== undefined) {
		if (typeof sshPort !== 'number' || !Number.isInteger(sshPort) || sshPort < 1 || sshPort > 65_535) {
			return `${name}: sshPort must be a port number`;
		}

		device.sshPort = sshPort;
	}

	if (nodeExporterUrl !== undefined) {
		if (typeof nodeExporterUrl !== 'string' || !/^https?:\/\/\S+$/.test(nodeExporterUrl)) {
			return `${name}: nodeExporterUrl must be an http(s) URL`;
		}

		device.nodeExporterUrl = nodeExporterUrl;
	}

	return device;
}

type ConfStore = {
	readonly path: string;
	readonly store: Record<string, unknown>;
	set(key: string, value: unknown): void;
	delete(key: string): void;
};

/**
 * Opens the settings through conf, which is imported only here: writes are rare, start-up is not. The folder is
 * created owner-only and the file is written with mode 0600.
 */
async function openConf(location: SettingsLocation): Promise<ConfStore> {
	const directory = settingsDirectory(location);
	const file = path.join(directory, 'config.json');
	try {
		await mkdir(directory, {recursive: true, mode: settingsDirectoryMode});
	} catch (error) {
		throw new DeviceError(directory, 'config', `cannot create the settings folder: ${errorText(error)}`);
	}

	const {default: Conf} = await import('conf');
	try {
		return new Conf<Record<string, unknown>>({
			projectName: settingsProjectName,
			cwd: directory,
			configName: 'config',
			configFileMode: settingsFileMode,
			accessPropertiesByDotNotation: false,
		});
	} catch (error) {
		throw settingsFileError(file, error);
	}
}

function settingsFileError(file: string, error: unknown): DeviceError {
	if (error instanceof SyntaxError) {
		// conf's message is V8's, which quotes the file around the error: saved passwords live there.
		let text = '';
		try {
			text = readFileSync(file, 'utf8');
		} catch {
			// Described without a position.
		}

		return new DeviceError(file, 'config', `invalid JSON, not changing it: ${describeJsonError(text)}`);
	}

	return new DeviceError(file, 'config', errorText(error));
}

/**
 * Changes the settings through conf: `change` gets the current settings and returns the new ones; only keys whose
 * value changed are written, and keys krazy-tui does not know are kept. Throws a DeviceError naming the file when
 * it cannot be read or written.
 */
export async function changeSettings(location: SettingsLocation, change: (current: Settings) => Settings): Promise<Settings> {
	const conf = await openConf(location);
	try {
		const {settings: current, skippedDevices} = decodeStored(conf.store, conf.path);
		const next = change(structuredClone(current));
		for (const key of Object.keys(next) as Array<keyof Settings>) {
			if (JSON.stringify(next[key]) === JSON.stringify(current[key])) {
				continue;
			}

			// Entries this version cannot read are kept: they may be someone's hand edit, to be fixed rather than lost.
			conf.set(key, key === 'devices' ? [...next.devices, ...skippedDevices] : next[key]);
		}

		return next;
	} catch (error) {
		if (error instanceof DeviceError) {
			throw error;
		}

		throw settingsFileError(conf.path, error);
	}
}

export async function setSetting<K extends ScalarSettingKey>(location: SettingsLocation, key: K, value: Settings[K]): Promise<void> {
	await changeSettings(location, current => ({...current, [key]: value}));
}

/** Saves a device; a saved device of the same name is refused with a 'config' DeviceError. */
export async function addSavedDevice(location: SettingsLocation, device: SavedDevice): Promise<void> {
	await changeSettings(location, current => {
		const existing = current.devices.find(saved => saved.name === device.name);
		if (existing) {
			throw new DeviceError(device.name, 'config', `a saved device with this name exists already (${existing.url})`);
		}

		return {...current, devices: [...current.devices, device]};
	});
}

/** Forgets a saved device; false when there was none of that name. */
export async function removeSavedDevice(location: SettingsLocation, name: string): Promise<boolean> {
	let removed = false;
	await changeSettings(location, current => {
		const devices = current.devices.filter(saved => saved.name !== name);
		removed = devices.length !== current.devices.length;
		return {...current, devices};
	});
	return removed;
}

function copyDefaults(): Settings {
	return {...defaultSettings, devices: []};
}

function isNumberAtLeast(value: unknown, minimum: number): value is number {
	return typeof value === 'number' && Number.isFinite(value) && value >= minimum;
}

function errorText(error: unknown): string {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	if (code === 'EACCES' || code === 'EPERM') {
		return 'permission denied';
	}

	return error instanceof Error ? error.message : String(error);
}
