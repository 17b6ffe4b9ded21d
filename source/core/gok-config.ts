// Finds every gok instance on this host and turns its config.json into a device target, reached the way gok reaches it.
import {readdir, readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import type {DeviceTarget} from './device-target.js';
import {findJsonError} from './json-syntax.js';
import {nodeExporterPort} from './node-exporter-port.js';

/** A configuration file that could not be used (fully): one line naming the file and what is wrong with it. */
export type ConfigProblem = {
	path: string;
	message: string;
	/** The device (instance folder or saved name) it concerns, when it concerns one. */
	device?: string;
	/** The device is listed but cannot be reached as configured: resolving it by name fails with this message. */
	blocking?: boolean;
};

/** Where to look: the environment and home folder to use instead of the process's own (tests pass temporary ones). */
export type HostEnvironment = {
	env: NodeJS.ProcessEnv;
	home: string;
	platform?: NodeJS.Platform;
};

export type GokDiscovery = {targets: DeviceTarget[]; problems: ConfigProblem[]};

export const breakglassPackage = 'github.com/gokrazy/breakglass';
/** The package gokrazy documents for metrics (see node-exporter.ts). */
export const nodeExporterPackage = 'github.com/prometheus/node_exporter';

/** gok's instanceflag: $GOKRAZY_PARENT_DIR, else ~/gokrazy. */
export function gokParentDir({env, home}: HostEnvironment): string {
	return path.resolve(env.GOKRAZY_PARENT_DIR || path.join(home, 'gokrazy'));
}

/**
 * Go's os.UserConfigDir, which gok uses for its host-specific files. undefined where Go returns an error (gok then
 * stops; we only skip those files): no $HOME, or a relative $XDG_CONFIG_HOME.
 */
export function userConfigDir({env, home, platform = process.platform}: HostEnvironment): string | undefined {
	if (platform === 'win32') {
		return env.APPDATA || env.AppData || undefined;
	}

	if (platform === 'darwin') {
		return home ? path.join(home, 'Library', 'Application Support') : undefined;
	}

	const xdg = env.XDG_CONFIG_HOME;
	if (xdg) {
		return path.isAbsolute(xdg) ? xdg : undefined;
	}

	return home ? path.join(home, '.config') : undefined;
}

/** ~/.config/gokrazy on Linux: http-password.txt, http-port.txt and hosts/<hostname>/{cert,key}.pem live here. */
export function gokrazyConfigDir(host: HostEnvironment): string | undefined {
	const base = userConfigDir(host);
	return base === undefined ? undefined : path.join(base, 'gokrazy');
}

/** Where `UseTLS: "self-signed"` keeps the certificate of one host. */
export function hostCertificatePath(host: HostEnvironment, hostname: string): string | undefined {
	const dir = gokrazyConfigDir(host);
	return dir === undefined ? undefined : path.join(dir, 'hosts', hostname, 'cert.pem');
}

/**
 * The values given to the Go flag `name` in a package's CommandLineFlags, in order: `-name=V`, `--name=V`, `-name V`
 * and `--name V`, up to the first argument that is not a flag (Go's flag package stops there too).
 */
export function goFlagValues(flags: readonly string[], name: string): string[] {
	const values: string[] = [];
	for (let index = 0; index < flags.length; index++) {
		const flag = flags[index];
		if (flag === '--' || !flag.startsWith('-') || flag === '-') {
			break;
		}

		const body = flag.replace(/^--?/, '');
		const equals = body.indexOf('=');
		if ((equals === -1 ? body : body.slice(0, equals)) !== name) {
			continue;
		}

		if (equals === -1) {
			index++;
			if (flags[index] !== undefined) {
				values.push(flags[index]);
			}
		} else {
			values.push(body.slice(equals + 1));
		}
	}

	return values;
}

/**
 * Where the node exporter answers when its flags move it off `:9100/metrics`: the first `--web.listen-address`
 * (an empty or wildcard host means the device's own) and `--web.telemetry-path`. undefined when they do not.
 */
export function nodeExporterUrlFromFlags(flags: readonly string[], deviceHost: string): string | undefined {
	const [address] = goFlagValues(flags, 'web.listen-address');
	const [metricsPath = '/metrics'] = goFlagValues(flags, 'web.telemetry-path');
	if (address === undefined && metricsPath === '/metrics') {
		return undefined;
	}

	let host = deviceHost;
	let port = String(nodeExporterPort);
	if (address !== undefined) {
		const split = /^(.*):(\d+)$/.exec(address);
		if (!split || parsePort(split[2]) === undefined) {
			return undefined;
		}

		const listenHost = split[1].replace(/^\[(.*)\]$/, '$1');
		if (!['', '0.0.0.0', '::'].includes(listenHost)) {
			host = listenHost;
		}

		port = split[2];
	}

	try {
		const url = new URL(`http://${bracketIpv6(host)}:${port}`);
		url.pathname = metricsPath.startsWith('/') ? metricsPath : `/${metricsPath}`;
		return url.href;
	} catch {
		return undefined;
	}
}

/** The breakglass SSH port its flags set (the last valid `-port`), if any. */
export function breakglassPortFromFlags(flags: readonly string[]): number | undefined {
	let port: number | undefined;
	for (const value of goFlagValues(flags, 'port')) {
		port = parsePort(value) ?? port;
	}

	return port;
}

/** Line and column (both from 1) of a character offset, for messages about a JSON file. */
export function lineAndColumn(text: string, offset: number): {line: number; column: number} {
	const before = text.slice(0, Math.max(0, offset));
	const lines = before.split('\n');
	return {line: lines.length, column: lines.at(-1)!.length + 1};
}

/**
 * Why `text` is not JSON, with line and column: never V8's message, which quotes the text around the error (a
 * config file's password, say). `_error` is what JSON.parse threw; the description comes from the text alone.
 */
export function describeJsonError(text: string, _error?: unknown): string {
	const found = findJsonError(text);
	if (found === undefined) {
		return 'not valid JSON';
	}

	const {line, column} = lineAndColumn(text, found.offset);
	return `${found.reason} (line ${line}, column ${column})`;
}

/** Reads every `<parent>/<instance>/config.json`; a broken one becomes a problem and the others still load. */
export async function discoverGokInstances(host: HostEnvironment): Promise<GokDiscovery> {
	const parent = gokParentDir(host);
	const problems: ConfigProblem[] = [];
	let entries: string[];
	try {
		entries = await readdir(parent);
	} catch (error) {
		if (isMissing(error)) {
			return {targets: [], problems};
		}

		return {targets: [], problems: [{path: parent, message: `${parent}: cannot list gok instances: ${errorText(error)}`}]};
	}

	if (host.env.XDG_CONFIG_HOME && !path.isAbsolute(host.env.XDG_CONFIG_HOME) && (host.platform ?? process.platform) !== 'win32') {
		problems.push({
			path: host.env.XDG_CONFIG_HOME,
			message: `XDG_CONFIG_HOME=${host.env.XDG_CONFIG_HOME} is relative, so gok cannot use it: host-specific files (http-password.txt, cert.pem) are skipped`,
		});
	}

	const names = entries.filter(name => !name.startsWith('.')).sort();
	const results = await Promise.all(names.map(async name => readGokInstance(path.join(parent, name, 'config.json'), host)));
	const targets: DeviceTarget[] = [];
	for (const result of results) {
		if (result.target) {
			targets.push(result.target);
		}

		problems.push(...result.problems);
	}

	return {targets, problems};
}

export type GokInstanceRead = {target?: DeviceTarget; problems: ConfigProblem[]};

/**
 * One instance: the target gok would update (its name is the instance folder's name), or nothing when the folder
 * holds no config.json. Problems that do not stop the device from being reached come with a target.
 */
export async function readGokInstance(configPath: string, host: HostEnvironment): Promise<GokInstanceRead> {
	const instanceDir = path.dirname(configPath);
	const name = path.basename(instanceDir);
	const problem = (message: string): ConfigProblem => ({path: configPath, message: `${configPath}: ${message}`, device: name});
	let text: string;
	try {
		text = await readFile(configPath, 'utf8');
	} catch (error) {
		if (isMissing(error) || isCode(error, 'ENOTDIR')) {
			return {problems: []};
		}

		return {problems: [problem(`cannot read: ${errorText(error)}`)]};
	}

	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		return {problems: [problem(`invalid JSON: ${describeJsonError(text, error)}`)]};
	}

	let config: InstanceConfig;
	try {
		config = decodeInstanceConfig(parsed);
	} catch (error) {
		return {problems: [problem(errorText(error))]};
	}

	return resolveInstance(name, configPath, instanceDir, config, host, problem);
}

/** The fields of gok's config.Struct a client needs, decoded the way Go's encoding/json would. */
type InstanceConfig = {
	hostname: string;
	update: {
		hostname: string;
		useTls: string;
		noPassword: boolean;
		httpPort: string;
		httpsPort: string;
		httpPassword: string;
	};
	breakglassFlags: string[];
	nodeExporterFlags: string[];
};

class ConfigShapeError extends Error {}

function decodeInstanceConfig(value: unknown): InstanceConfig {
	if (value === null) {
		value = {};
	}

	const root = expectObject(value, 'the top level');
	const update = expectObject(goField(root, 'Update') ?? {}, 'Update');
	const packageConfig = expectObject(goField(root, 'PackageConfig') ?? {}, 'PackageConfig');
	const flagsOf = (name: string): string[] => {
		const entry = packageConfig[name];
		if (entry === undefined || entry === null) {
			return [];
		}

		const fields = expectObject(entry, `PackageConfig["${name}"]`);
		return expectStrings(goField(fields, 'CommandLineFlags'), `PackageConfig["${name}"].CommandLineFlags`);
	};

	return {
		hostname: expectString(goField(root, 'Hostname'), 'Hostname'),
		update: {
			hostname: expectString(goField(update, 'Hostname'), 'Update.Hostname'),
			useTls: expectString(goField(update, 'UseTLS'), 'Update.UseTLS'),
			noPassword: expectBoolean(goField(update, 'NoPassword'), 'Update.NoPassword'),
			httpPort: expectString(goField(update, 'HTTPPort'), 'Update.HTTPPort'),
			httpsPort: expectString(goField(update, 'HTTPSPort'), 'Update.HTTPSPort'),
			httpPassword: expectString(goField(update, 'HTTPPassword'), 'Update.HTTPPassword'),
		},
		breakglassFlags: flagsOf(breakglassPackage),
		nodeExporterFlags: flagsOf(nodeExporterPackage),
	};
}

async function resolveInstance(
	name: string,
	configPath: string,
	instanceDir: string,
	config: InstanceConfig,
	host: HostEnvironment,
	problem: (message: string) => ConfigProblem,
): Promise<GokInstanceRead> {
	const problems: ConfigProblem[] = [];
	const gokDir = gokrazyConfigDir(host);
	// gok reads host-specific files under the image's Hostname, even when Update.Hostname says where to send updates.
	const hostSpecific = async (fileName: string) => readHostSpecific(gokDir, config.hostname, fileName, problems, problem);

	// Update.Hostname only changes where gok sends updates; the image keeps Hostname.
	const contactHost = config.update.hostname || config.hostname;
	if (!contactHost) {
		return {problems: [problem('no Hostname: cannot tell where the device is')]};
	}

	// config.WithFallbackToHostSpecific: the HTTPS port falls back to the HTTP port (there never was an
	// https-port.txt on the host), and only then does httpclient.For default them to 80 and 443.
	const resolvedHttpPort = config.update.httpPort || (await hostSpecific('http-port.txt')) || '';
	const httpPort = resolvedHttpPort || '80';
	const httpsPort = config.update.httpsPort || resolvedHttpPort || '443';

	let password: string | undefined;
	if (config.update.noPassword) {
		problems.push({
			...problem('Update.NoPassword is set: the device serves its API only on a unix socket (/run/gokrazy-http.sock), not over TCP'),
			blocking: true,
		});
	} else {
		password = config.update.httpPassword || (await hostSpecific('http-password.txt')) || undefined;
		if (password === undefined) {
			problems.push(problem('no HTTP password (Update.HTTPPassword, or http-password.txt in the gokrazy config folder)'));
		}
	}

	const tls = await resolveTls(config, instanceDir, gokDir, problem);
	if (tls.fatal) {
		return {problems: [...problems, tls.fatal]};
	}

	if (tls.problem) {
		problems.push(tls.problem);
	}

	const scheme = tls.https ? 'https' : 'http';
	const port = tls.https ? httpsPort : httpPort;
	if (parsePort(port) === undefined) {
		const field = tls.https ? 'Update.HTTPSPort' : 'Update.HTTPPort';
		return {problems: [...problems, problem(`${field} ${JSON.stringify(port)} is not a port number`)]};
	}

	let url: string;
	try {
		const parsed = new URL(`${scheme}://${bracketIpv6(contactHost)}:${port}`);
		url = `${parsed.protocol}//${parsed.host}`;
	} catch {
		return {problems: [...problems, problem(`${JSON.stringify(contactHost)} is not a host name`)]};
	}

	const target: DeviceTarget = {name, url, source: 'gok', origin: configPath};
	if (password !== undefined) {
		target.password = password;
	}

	if (tls.certificate !== undefined) {
		target.certificate = tls.certificate;
		target.certificatePath = tls.certificatePath;
	}

	const sshPort = breakglassPortFromFlags(config.breakglassFlags);
	if (sshPort !== undefined) {
		target.sshPort = sshPort;
	}

	const nodeExporterUrl = nodeExporterUrlFromFlags(config.nodeExporterFlags, contactHost);
	if (nodeExporterUrl !== undefined) {
		target.nodeExporterUrl = nodeExporterUrl;
	}

	return {target, problems};
}

type TlsDecision = {
	https: boolean;
	certificate?: string;
	certificatePath?: string;
	/** Reachable, but worth saying. */
	problem?: ConfigProblem;
	/** gok itself refuses this configuration. */
	fatal?: ConfigProblem;
};

/** tlsflag.CertificatePathsFor: "" uses TLS when the certificate exists, "off" never, "self-signed" wants it to exist. */
async function resolveTls(
	config: InstanceConfig,
	instanceDir: string,
	gokDir: string | undefined,
	problem: (message: string) => ConfigProblem,
): Promise<TlsDecision> {
	const useTls = config.update.useTls;
	if (useTls === 'off') {
		return {https: false};
	}

	if (useTls === '' || useTls === 'self-signed') {
		if (gokDir === undefined) {
			return {https: false};
		}

		const hostDir = path.join(gokDir, 'hosts', config.hostname);
		const certificatePath = path.join(hostDir, 'cert.pem');
		const keyPath = path.join(hostDir, 'key.pem');
		const [certificateExists, keyExists] = await Promise.all([exists(certificatePath), exists(keyPath)]);
		if (!certificateExists || !keyExists) {
			if (useTls === 'self-signed') {
				return {
					https: false,
					problem: problem(`UseTLS is self-signed but ${certificatePath} does not exist yet (gok update creates it); using http until then`),
				};
			}

			return {https: false};
		}

		return loadCertificate(certificatePath, problem);
	}

	// Explicit "cert.pem,key.pem": gok update runs in the instance folder, so relative paths start there.
	const [certificateText, keyText] = useTls.split(',');
	if (keyText === undefined) {
		return {https: false, fatal: problem(`UseTLS ${JSON.stringify(useTls)}: no private key supplied (expected "cert.pem,key.pem")`)};
	}

	return loadCertificate(path.resolve(instanceDir, certificateText), problem);
}

async function loadCertificate(certificatePath: string, problem: (message: string) => ConfigProblem): Promise<TlsDecision> {
	try {
		const certificate = await readFile(certificatePath, 'utf8');
		return {https: true, certificate, certificatePath};
	} catch (error) {
		return {https: true, problem: problem(`cannot read the certificate ${certificatePath}: ${errorText(error)}`)};
	}
}

/** config.HostnameDir.ReadFile: hosts/<hostname>/<file>, else the same name in the gokrazy config folder; trimmed. */
async function readHostSpecific(
	gokDir: string | undefined,
	hostname: string,
	fileName: string,
	problems: ConfigProblem[],
	problem: (message: string) => ConfigProblem,
): Promise<string | undefined> {
	if (gokDir === undefined) {
		return undefined;
	}

	try {
		return (await readFile(path.join(gokDir, 'hosts', hostname, fileName), 'utf8')).trim();
	} catch {
		// Any failure falls back to the global file, as in gok.
	}

	const globalPath = path.join(gokDir, fileName);
	try {
		return (await readFile(globalPath, 'utf8')).trim();
	} catch (error) {
		if (!isMissing(error)) {
			problems.push(problem(`cannot read ${globalPath}: ${errorText(error)}`));
		}

		return undefined;
	}
}

/** Go's encoding/json matches field names case-insensitively, preferring an exact match. */
function goField(object: Record<string, unknown>, name: string): unknown {
	if (Object.hasOwn(object, name)) {
		return object[name];
	}

	const lower = name.toLowerCase();
	let found: unknown;
	for (const [key, value] of Object.entries(object)) {
		if (key.toLowerCase() === lower) {
			found = value;
		}
	}

	return found;
}

function jsonType(value: unknown): string {
	if (Array.isArray(value)) {
		return 'an array';
	}

	return value === null ? 'null' : `a ${typeof value}`;
}

function expectObject(value: unknown, field: string): Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new ConfigShapeError(`${field} must be a JSON object, not ${jsonType(value)}`);
	}

	return value as Record<string, unknown>;
}

function expectString(value: unknown, field: string): string {
	if (value === undefined || value === null) {
		return '';
	}

	if (typeof value !== 'string') {
		throw new ConfigShapeError(`${field} must be a string, not ${jsonType(value)}`);
	}

	return value;
}

function expectBoolean(value: unknown, field: string): boolean {
	if (value === undefined || value === null) {
		return false;
	}

	if (typeof value !== 'boolean') {
		throw new ConfigShapeError(`${field} must be true or false, not ${jsonType(value)}`);
	}

	return value;
}

function expectStrings(value: unknown, field: string): string[] {
	if (value === undefined || value === null) {
		return [];
	}

	if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) {
		throw new ConfigShapeError(`${field} must be an array of strings`);
	}

	return value as string[];
}

function parsePort(text: string | undefined): number | undefined {
	if (text === undefined || !/^\d{1,5}$/.test(text)) {
		return undefined;
	}

	const port = Number(text);
	return port >= 1 && port <= 65_535 ? port : undefined;
}

function bracketIpv6(host: string): string {
	return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch {
		return false;
	}
}

function isCode(error: unknown, code: string): boolean {
	return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

function isMissing(error: unknown): boolean {
	return isCode(error, 'ENOENT');
}

function errorText(error: unknown): string {
	if (isCode(error, 'EACCES')) {
		return 'permission denied';
	}

	return error instanceof Error ? error.message : String(error);
}
