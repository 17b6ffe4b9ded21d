// Settings: conf writes, the fast reader reads the same file; mode 0600, defaults, broken files, conf's own path.
import test from 'ava';
import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import Conf from 'conf';
import {DeviceError} from '../../source/core/device-error.js';
import {
	addSavedDevice,
	changeSettings,
	dataDirectory,
	defaultSettings,
	readSettings,
	removeSavedDevice,
	setSetting,
	settingsDirectory,
	settingsPath,
	type SettingsLocation,
} from '../../source/core/settings.js';

const run = promisify(execFile);

async function makeLocation(t: {teardown(fn: () => Promise<void>): void}): Promise<SettingsLocation & {root: string}> {
	const root = await mkdtemp(path.join(tmpdir(), 'krazy-settings-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	return {root, env: {KRAZY_TUI_CONFIG_DIR: path.join(root, 'config')}, home: path.join(root, 'home')};
}

test('no file: the defaults, no problems, and nothing created by reading', async t => {
	const location = await makeLocation(t);
	const read = await readSettings(location);
	t.deepEqual(read.settings, {pollIntervalMs: 2000, theme: 'auto', logBufferLines: 10_000, prometheusUrl: null, lastImage: null, lastView: null, devices: []});
	t.deepEqual(read.problems, []);
	t.is(read.path, path.join(location.root, 'config', 'config.json'));
	await t.throwsAsync(stat(path.join(location.root, 'config')), {code: 'ENOENT'});
});

test('written through conf, read by the fast reader: the same settings; file 0600, folder 0700', async t => {
	const location = await makeLocation(t);
	const password = 'p:@/%#"ä ✓ \\ end';
	await addSavedDevice(location, {name: 'casa', url: 'https://casa:8443', password, certificatePath: '/etc/casa.pem', sshPort: 2222});
	await addSavedDevice(location, {name: 'lab', url: 'http://10.0.0.5'});
	await setSetting(location, 'theme', 'mono');
	await setSetting(location, 'pollIntervalMs', 5000);
	await setSetting(location, 'prometheusUrl', 'http://prometheus.lan:9090');

	const read = await readSettings(location);
	t.deepEqual(read.problems, []);
	t.deepEqual(read.settings, {
		pollIntervalMs: 5000,
		theme: 'mono',
		logBufferLines: 10_000,
		prometheusUrl: 'http://prometheus.lan:9090',
		lastImage: null,
		lastView: null,
		devices: [
			{name: 'casa', url: 'https://casa:8443', password, certificatePath: '/etc/casa.pem', sshPort: 2222},
			{name: 'lab', url: 'http://10.0.0.5'},
		],
	});

	// Conf itself, opened on the same folder, sees what the fast reader sees.
	const conf = new Conf<Record<string, unknown>>({projectName: 'krazy-tui', cwd: settingsDirectory(location), accessPropertiesByDotNotation: false});
	t.is(conf.path, read.path);
	t.is(conf.get('theme'), 'mono');
	t.deepEqual((conf.get('devices') as Array<{password?: string}>)[0].password, password);

	t.is((await stat(read.path)).mode & 0o777, 0o600);
	t.is((await stat(path.dirname(read.path))).mode & 0o777, 0o700);
	// Defaults are not written: only what the user changed is in the file.
	t.false('logBufferLines' in JSON.parse(await readFile(read.path, 'utf8')));
});

test('a file written by plain conf (other keys, mode 0644) is read, and our next write makes it 0600 and keeps the other keys', async t => {
	const location = await makeLocation(t);
	const directory = settingsDirectory(location);
	const conf = new Conf<Record<string, unknown>>({projectName: 'krazy-tui', cwd: directory, configFileMode: 0o644});
	conf.set('logBufferLines', 500);
	conf.set('somethingNewer', {kept: true});
	t.is((await stat(conf.path)).mode & 0o777, 0o644);
	t.is((await readSettings(location)).settings.logBufferLines, 500);

	await setSetting(location, 'theme', 'dark');
	t.is((await stat(conf.path)).mode & 0o777, 0o600);
	const stored = JSON.parse(await readFile(conf.path, 'utf8')) as Record<string, unknown>;
	t.deepEqual(stored, {logBufferLines: 500, somethingNewer: {kept: true}, theme: 'dark'});
});

test('adding a name twice is refused; removing reports whether it existed', async t => {
	const location = await makeLocation(t);
	await addSavedDevice(location, {name: 'casa', url: 'http://casa'});
	const error = await t.throwsAsync(addSavedDevice(location, {name: 'casa', url: 'http://other'}), {instanceOf: DeviceError});
	t.is(error?.message, 'casa: a saved device with this name exists already (http://casa)');
	t.false(await removeSavedDevice(location, 'nope'));
	t.true(await removeSavedDevice(location, 'casa'));
	t.deepEqual((await readSettings(location)).settings.devices, []);
});

test('unusable values fall back to their defaults and are reported; broken device entries are skipped but kept in the file', async t => {
	const location = await makeLocation(t);
	const file = settingsPath(location);
	await mkdir(path.dirname(file), {recursive: true});
	await writeFile(
		file,
		JSON.stringify({
			pollIntervalMs: 'fast',
			theme: 'neon',
			logBufferLines: 2.5,
			devices: [{name: 'ok', url: 'http://ok'}, {name: 'nourl'}, 'junk', {name: 'port', url: 'http://p', sshPort: 0}, {name: 'ne', url: 'http://n', nodeExporterUrl: 'n:9100'}],
		}),
	);
	const read = await readSettings(location);
	t.deepEqual(read.settings, {...defaultSettings, devices: [{name: 'ok', url: 'http://ok'}]});
	t.deepEqual(
		read.problems.map(problem => problem.message.slice(file.length + 2)),
		[
			'pollIntervalMs must be a number of milliseconds of at least 100; using 2000',
			'theme must be one of auto, dark, light, mono; using auto',
			'logBufferLines must be a whole number of at least 1; using 10000',
			'devices[1] skipped: nourl has no url',
			'devices[2] skipped: not an object',
			'devices[3] skipped: port: sshPort must be a port number',
			'devices[4] skipped: ne: nodeExporterUrl must be an http(s) URL',
		],
	);

	await addSavedDevice(location, {name: 'new', url: 'http://new'});
	const stored = JSON.parse(await readFile(file, 'utf8')) as {devices: unknown[]};
	t.deepEqual(stored.devices, [{name: 'ok', url: 'http://ok'}, {name: 'new', url: 'http://new'}, {name: 'nourl'}, 'junk', {name: 'port', url: 'http://p', sshPort: 0}, {name: 'ne', url: 'http://n', nodeExporterUrl: 'n:9100'}]);
});

test('a broken settings file: reading reports path and JSON error, writing refuses and leaves it alone', async t => {
	const location = await makeLocation(t);
	const file = settingsPath(location);
	await mkdir(path.dirname(file), {recursive: true});
	const broken = '{\n\t"theme": "dark",\n\t"devices": [\n';
	await writeFile(file, broken);
	const read = await readSettings(location);
	t.deepEqual(read.settings, {...defaultSettings, devices: []});
	t.is(read.problems.length, 1);
	t.regex(read.problems[0].message, /^.+\/config\.json: invalid JSON: .* \(line 4,? column 1\)$/);

	const error = await t.throwsAsync(changeSettings(location, current => ({...current, theme: 'light'})), {instanceOf: DeviceError});
	t.is(error?.device, file);
	t.is(error?.kind, 'config');
	t.regex(error!.message, /config\.json: invalid JSON, not changing it/);
	t.is(await readFile(file, 'utf8'), broken);
});

test('the folder: configDir, else $KRAZY_TUI_CONFIG_DIR, else where env-paths puts it', t => {
	t.is(settingsDirectory({env: {KRAZY_TUI_CONFIG_DIR: '/a'}, home: '/h', configDir: '/b'}), '/b');
	t.is(settingsDirectory({env: {KRAZY_TUI_CONFIG_DIR: '/a'}, home: '/h'}), '/a');
	t.is(settingsDirectory({env: {}, home: '/h', platform: 'linux'}), '/h/.config/krazy-tui-nodejs');
	t.is(settingsDirectory({env: {XDG_CONFIG_HOME: '/x'}, home: '/h', platform: 'linux'}), '/x/krazy-tui-nodejs');
	t.is(settingsDirectory({env: {}, home: '/Users/u', platform: 'darwin'}), '/Users/u/Library/Preferences/krazy-tui-nodejs');
});

// Conf computes its folder from the real process environment; a child process with a temporary HOME shows that
// the fast reader's path is the one conf picks without a `cwd`.
for (const withXdg of [false, true]) {
	test(`conf's own default path equals settingsPath (${withXdg ? 'with' : 'without'} $XDG_CONFIG_HOME)`, async t => {
		const location = await makeLocation(t);
		const env: NodeJS.ProcessEnv = {PATH: process.env.PATH, HOME: location.home};
		if (withXdg) {
			env.XDG_CONFIG_HOME = path.join(location.root, 'xdg');
		}

		const script = "import Conf from 'conf'; console.log(new Conf({projectName: 'krazy-tui'}).path);";
		const {stdout} = await run(process.execPath, ['--input-type=module', '-e', script], {env, cwd: process.cwd()});
		t.is(stdout.trim(), settingsPath({env, home: location.home}));
	});
}

test('a prometheusUrl that is not an http(s) URL is reported and not used', async t => {
	const location = await makeLocation(t);
	await mkdir(path.join(location.root, 'config'), {recursive: true});
	await writeFile(path.join(location.root, 'config', 'config.json'), JSON.stringify({prometheusUrl: 'prometheus.lan:9090'}));
	const read = await readSettings(location);
	t.is(read.settings.prometheusUrl, null);
	t.is(read.problems.length, 1);
	t.regex(read.problems[0]!.message, /config\.json: prometheusUrl must be an http\(s\) URL or null/);
});

test('the last image the wizard used is remembered; a value that is not a path is reported and not used', async t => {
	const location = await makeLocation(t);
	await setSetting(location, 'lastImage', '/home/ann/images/casa.img');
	t.is((await readSettings(location)).settings.lastImage, '/home/ann/images/casa.img');
	await writeFile(path.join(location.root, 'config', 'config.json'), JSON.stringify({lastImage: 'a\u001b[2Jb'}));
	const read = await readSettings(location);
	t.is(read.settings.lastImage, null);
	t.regex(read.problems[0]!.message, /lastImage must be a file path or null/);
});

test('the last view is remembered through conf and read back; a malformed one is forgotten quietly', async t => {
	const location = await makeLocation(t);
	await setSetting(location, 'lastView', {view: 'logs', device: 'casa', service: '/user/golink'});
	t.deepEqual((await readSettings(location)).settings.lastView, {view: 'logs', device: 'casa', service: '/user/golink'});
	await writeFile(settingsPath(location), JSON.stringify({lastView: {view: 'wall', device: 3}}));
	const read = await readSettings(location);
	t.is(read.settings.lastView, null);
	t.deepEqual(read.problems, []);
});

test('the data folder (saved logs): $KRAZY_TUI_DATA_DIR, else $XDG_DATA_HOME or ~/.local/share, the platform\'s elsewhere; never the current folder', t => {
	t.is(dataDirectory({env: {KRAZY_TUI_DATA_DIR: '/srv/krazy'}, home: '/home/me', platform: 'linux'}), '/srv/krazy');
	t.is(dataDirectory({env: {XDG_DATA_HOME: '/home/me/data'}, home: '/home/me', platform: 'linux'}), '/home/me/data/krazy-tui');
	t.is(dataDirectory({env: {}, home: '/home/me', platform: 'linux'}), '/home/me/.local/share/krazy-tui');
	t.is(dataDirectory({env: {}, home: '/Users/me', platform: 'darwin'}), '/Users/me/Library/Application Support/krazy-tui');
	t.not(dataDirectory({env: {}, home: '/home/me', platform: 'linux'}), process.cwd());
});
