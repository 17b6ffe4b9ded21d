// The device registry: gok instances and saved devices together, and DEVICE arguments resolved into targets.
import test from 'ava';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {DeviceError} from '../../source/core/device-error.js';
import {listKnownDevices, readPasswordFile, redactUrl, resolveDevice, type RegistryOptions} from '../../source/core/device-registry.js';
import {addSavedDevice} from '../../source/core/settings.js';
import {sameDevice, sourceText} from '../../source/core/device-target.js';

const casaPem = '-----BEGIN CERTIFICATE-----\ncasa\n-----END CERTIFICATE-----\n';
const labPem = '-----BEGIN CERTIFICATE-----\nlab\n-----END CERTIFICATE-----\n';

type World = RegistryOptions & {root: string; parent: string; gokrazy: string};

async function writeFileIn(file: string, content: string): Promise<void> {
	await mkdir(path.dirname(file), {recursive: true});
	await writeFile(file, content);
}

/**
 * gok instances "casa" (self-signed TLS, breakglass on 2222) and "hello" (plain), a broken "wreck", a NoPassword
 * "quiet"; saved devices come from each test.
 */
async function makeWorld(t: {teardown(fn: () => Promise<void>): void}): Promise<World> {
	const root = await mkdtemp(path.join(tmpdir(), 'krazy-registry-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	const parent = path.join(root, 'gokrazy');
	const gokrazy = path.join(root, 'xdg', 'gokrazy');
	const env: NodeJS.ProcessEnv = {
		GOKRAZY_PARENT_DIR: parent,
		XDG_CONFIG_HOME: path.join(root, 'xdg'),
		KRAZY_TUI_CONFIG_DIR: path.join(root, 'krazy'),
	};
	const instance = async (name: string, config: unknown) =>
		writeFileIn(path.join(parent, name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
	await instance('casa', {
		Hostname: 'casa',
		Update: {HTTPPassword: 'casa-pw', UseTLS: 'self-signed'},
		PackageConfig: {'github.com/gokrazy/breakglass': {CommandLineFlags: ['-port=2222']}},
	});
	await writeFileIn(path.join(gokrazy, 'hosts', 'casa', 'cert.pem'), casaPem);
	await writeFileIn(path.join(gokrazy, 'hosts', 'casa', 'key.pem'), 'key');
	await instance('hello', {Hostname: 'hello', Update: {HTTPPassword: 'hello-pw', HTTPPort: '8080'}});
	await instance('wreck', '{"Hostname": "wreck",}');
	await instance('quiet', {Hostname: 'quiet', Update: {NoPassword: true}});
	return {root, parent, gokrazy, env, home: path.join(root, 'home')};
}

test('listKnownDevices: gok instances then saved devices, with the problems of the others', async t => {
	const world = await makeWorld(t);
	await addSavedDevice(world, {name: 'lab', url: 'http://10.0.0.5', password: 'lab-pw'});
	const {targets, problems} = await listKnownDevices(world);
	t.deepEqual(
		targets.map(target => [target.name, target.url, target.source]),
		[
			['casa', 'https://casa', 'gok'],
			['hello', 'http://hello:8080', 'gok'],
			['quiet', 'http://quiet', 'gok'],
			['lab', 'http://10.0.0.5', 'saved'],
		],
	);
	t.is(targets[0].certificate, casaPem);
	t.is(targets[0].sshPort, 2222);
	t.is(targets[3].origin, path.join(world.root, 'krazy', 'config.json'));
	t.deepEqual(problems.map(problem => problem.device), ['quiet', 'wreck']);
});

test('a saved device wins a name clash with a gok instance, and the clash is reported', async t => {
	const world = await makeWorld(t);
	await addSavedDevice(world, {name: 'hello', url: 'http://192.168.1.9', password: 'saved-pw'});
	const {targets, problems} = await listKnownDevices(world);
	const hello = targets.filter(target => target.name === 'hello');
	t.is(hello.length, 1);
	t.is(hello[0].source, 'saved');
	t.is(hello[0].url, 'http://192.168.1.9');
	const clash = problems.find(problem => problem.device === 'hello');
	t.regex(clash!.message, /the saved device "hello" hides the gok instance of the same name \(.*hello\/config\.json\)/);
	t.is((await resolveDevice('hello', world)).password, 'saved-pw');
});

test('a saved device pins the certificate it names; an unreadable one is a problem, not a failure', async t => {
	const world = await makeWorld(t);
	const certificatePath = path.join(world.root, 'lab.pem');
	await writeFile(certificatePath, labPem);
	await addSavedDevice(world, {name: 'lab', url: 'https://lab', certificatePath, sshPort: 2200});
	await addSavedDevice(world, {name: 'gone', url: 'https://gone', certificatePath: path.join(world.root, 'gone.pem')});
	const lab = await resolveDevice('lab', world);
	t.like(lab, {url: 'https://lab', certificate: labPem, certificatePath, sshPort: 2200, source: 'saved'});
	const {targets, problems} = await listKnownDevices(world);
	t.truthy(targets.find(target => target.name === 'gone'));
	t.regex(problems.find(problem => problem.device === 'gone')!.message, /gone\.pem: cannot read the certificate of saved device "gone": no such file/);
});

test('resolveDevice by gok name: URL, password, pinned certificate, SSH port', async t => {
	const world = await makeWorld(t);
	const casa = await resolveDevice('casa', world);
	t.like(casa, {name: 'casa', url: 'https://casa', password: 'casa-pw', certificate: casaPem, sshPort: 2222, source: 'gok'});
});

test('passwords: --password-file beats $KRAZY_PASSWORD beats the stored one', async t => {
	const world = await makeWorld(t);
	t.is((await resolveDevice('hello', world)).password, 'hello-pw');
	const withEnv = {...world, env: {...world.env, KRAZY_PASSWORD: 'env-pw'}};
	t.is((await resolveDevice('hello', withEnv)).password, 'env-pw');
	t.is((await resolveDevice('hello', {...withEnv, passwordOverride: 'file-pw'})).password, 'file-pw');
	t.is((await resolveDevice('http://gokrazy:url-pw@hello:8080', withEnv)).password, 'url-pw');
	t.is((await resolveDevice('http://gokrazy:url-pw@hello:8080', {...withEnv, passwordOverride: 'file-pw'})).password, 'file-pw');
});

test('a URL: name host[:port], percent-decoded password with any characters', async t => {
	const world = await makeWorld(t);
	const password = 'p:@/%#"ä ✓';
	const target = await resolveDevice(`http://gokrazy:${encodeURIComponent(password)}@10.0.0.23:8080`, world);
	t.like(target, {name: '10.0.0.23:8080', url: 'http://10.0.0.23:8080', password, source: 'url'});
	t.is(target.certificate, undefined);
});

test('a URL of a known device borrows its password and SSH port when it is the same URL, and its certificate by host', async t => {
	const world = await makeWorld(t);
	const same = await resolveDevice('https://casa', world);
	t.like(same, {url: 'https://casa', password: 'casa-pw', certificate: casaPem, sshPort: 2222, source: 'url'});
	const otherPort = await resolveDevice('https://CASA:9443', world);
	t.is(otherPort.certificate, casaPem);
	t.is(otherPort.password, undefined);
	t.is(otherPort.sshPort, undefined);
	const plain = await resolveDevice('http://casa', world);
	t.is(plain.certificate, undefined);
});

test('a URL pins hosts/<host>/cert.pem as gok does, even without an instance', async t => {
	const world = await makeWorld(t);
	await writeFileIn(path.join(world.gokrazy, 'hosts', 'lab.lan', 'cert.pem'), labPem);
	const lab = await resolveDevice('https://lab.lan:4443', world);
	t.is(lab.certificate, labPem);
	t.is(lab.certificatePath, path.join(world.gokrazy, 'hosts', 'lab.lan', 'cert.pem'));
});

test('an unknown name: a config error saying how to add one and which devices exist', async t => {
	const world = await makeWorld(t);
	const error = await t.throwsAsync(resolveDevice('attic', world), {instanceOf: DeviceError});
	t.is(error?.kind, 'config');
	t.is(error?.device, 'attic');
	t.regex(error!.message, /^attic: unknown device: not a gok instance in .*gokrazy nor a saved device/);
	t.regex(error!.message, /krazy-tui devices add attic http:\/\/gokrazy:PASSWORD@HOST/);
	t.regex(error!.message, /known devices: casa, hello, quiet$/);
	t.false(error!.message.includes('\n'));
});

test('the name of a broken instance: the error is its config problem', async t => {
	const world = await makeWorld(t);
	const error = await t.throwsAsync(resolveDevice('wreck', world), {instanceOf: DeviceError});
	t.is(error?.kind, 'config');
	t.regex(error!.message, /^wreck: .*wreck\/config\.json: invalid JSON: .*\(line 1,? column \d+\)$/);
});

test('a NoPassword instance cannot be reached over TCP: resolving it says so', async t => {
	const world = await makeWorld(t);
	const error = await t.throwsAsync(resolveDevice('quiet', world), {instanceOf: DeviceError});
	t.regex(error!.message, /^quiet: .*NoPassword is set: the device serves its API only on a unix socket/);
});

const badUrls: Array<[string, string, RegExp]> = [
	['http://', 'http://', /the URL has no host/],
	['https://gokrazy:top-secret@', 'https://gokrazy:***@', /the URL has no host/],
	['http://gokrazy:top-secret@:8080', 'http://gokrazy:***@:8080', /the URL has no host/],
	['ftp://gokrazy:top-secret@casa', 'ftp://gokrazy:***@casa', /unsupported scheme ftp:/],
];

for (const [spec, shown, cause] of badUrls) {
	test(`a bad URL ${shown}: one usage line, the password never shown`, async t => {
		const world = await makeWorld(t);
		const error = await t.throwsAsync(resolveDevice(spec, world), {instanceOf: DeviceError});
		t.is(error?.kind, 'usage');
		t.is(error?.device, shown);
		t.regex(error!.message, cause);
		t.false(error!.message.includes('top-secret'));
		t.false(error!.message.includes('\n'));
	});
}

test('redactUrl hides the password, up to the last @ before the host', t => {
	t.is(redactUrl('http://gokrazy:a@b@casa/'), 'http://gokrazy:***@casa/');
	t.is(redactUrl('http://casa:8080'), 'http://casa:8080');
	t.is(redactUrl('http://gokrazy@casa'), 'http://gokrazy@casa');
});

test('readPasswordFile: one line ending dropped, other spaces and characters kept; missing or empty files refused', async t => {
	const world = await makeWorld(t);
	const file = path.join(world.root, 'pw');
	await writeFile(file, ' p:@/%#"ä ✓ \r\n');
	t.is(await readPasswordFile(file), ' p:@/%#"ä ✓ ');
	await writeFile(file, 'no-newline');
	t.is(await readPasswordFile(file), 'no-newline');
	await writeFile(file, '\n');
	const empty = await t.throwsAsync(readPasswordFile(file), {instanceOf: DeviceError});
	t.is(empty?.message, `${file}: the password file is empty`);
	const missing = await t.throwsAsync(readPasswordFile(path.join(world.root, 'nope')), {instanceOf: DeviceError});
	t.regex(missing!.message, /nope: cannot read the password file: no such file$/);
});

test('a saved device at a gok instance\'s address is one device: the saved name, both sources, the instance for updates', async t => {
	const world = await makeWorld(t);
	await addSavedDevice(world, {name: 'withne', url: 'http://HELLO:8080/', password: 'saved-pw'});
	await addSavedDevice(world, {name: 'other-port', url: 'http://hello:9090'});
	const {targets, problems} = await listKnownDevices(world);
	t.deepEqual(targets.map(target => target.name), ['casa', 'withne', 'quiet', 'other-port'], 'in the instance\'s place, once; another port is another device');
	const withne = targets[1]!;
	t.is(withne.source, 'gok');
	t.regex(withne.origin!, /hello\/config\.json$/);
	t.is(withne.password, 'saved-pw', 'the saved password wins');
	t.deepEqual(withne.sources?.map(source => [source.source, source.name]), [['saved', 'withne'], ['gok', 'hello']]);
	t.is(sourceText(withne), 'saved device withne + gok instance hello');
	t.false(problems.some(problem => problem.device === 'hello' || problem.device === 'withne'));
	t.is((await resolveDevice('hello', world)).name, 'withne', 'the instance\'s name still finds it');
	t.is((await resolveDevice('withne', world)).url, 'http://hello:8080');
});

test('one device, two addresses: the same host on the default ports is the same device; another port is not', t => {
	t.true(sameDevice('http://casa', 'https://CASA'));
	t.true(sameDevice('http://casa:80', 'http://casa'));
	t.false(sameDevice('http://casa:8080', 'https://casa'));
	t.false(sameDevice('http://127.0.0.1:4001', 'http://127.0.0.1:4002'));
	t.false(sameDevice('http://casa', 'http://lab'));
});
