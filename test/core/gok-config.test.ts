// Table tests of gok instance discovery against temporary gokrazy parent, home and config folders.
import test from 'ava';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {
	breakglassPortFromFlags,
	nodeExporterUrlFromFlags,
	describeJsonError,
	discoverGokInstances,
	gokParentDir,
	userConfigDir,
	type HostEnvironment,
} from '../../source/core/gok-config.js';

const certificatePem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

type Host = HostEnvironment & {root: string; parent: string; gokrazy: string};

/** A fresh home with a gokrazy parent folder and an XDG config folder, all under one temporary folder. */
async function makeHost(t: {teardown(fn: () => Promise<void>): void}, options: {xdg?: boolean} = {}): Promise<Host> {
	const root = await mkdtemp(path.join(tmpdir(), 'krazy-gok-'));
	t.teardown(async () => rm(root, {recursive: true, force: true}));
	const home = path.join(root, 'home');
	const parent = path.join(root, 'instances');
	const xdg = path.join(root, 'xdg');
	const env: NodeJS.ProcessEnv = {GOKRAZY_PARENT_DIR: parent, HOME: home};
	if (options.xdg !== false) {
		env.XDG_CONFIG_HOME = xdg;
	}

	await mkdir(parent, {recursive: true});
	const gokrazy = options.xdg === false ? path.join(home, '.config', 'gokrazy') : path.join(xdg, 'gokrazy');
	return {env, home, platform: 'linux', root, parent, gokrazy};
}

async function writeFileIn(file: string, content: string): Promise<string> {
	await mkdir(path.dirname(file), {recursive: true});
	await writeFile(file, content);
	return file;
}

async function writeInstance(host: Host, name: string, config: unknown): Promise<string> {
	const text = typeof config === 'string' ? config : JSON.stringify(config, undefined, '    ');
	return writeFileIn(path.join(host.parent, name, 'config.json'), text);
}

type Case = {
	title: string;
	config: unknown;
	/** Files under the gokrazy config folder (~/.config/gokrazy). */
	gokrazyFiles?: Record<string, string>;
	/** Files inside the instance folder. */
	instanceFiles?: Record<string, string>;
	url: string;
	password?: string;
	certificate?: string;
	/** Relative to the gokrazy config folder, or to the instance folder when it starts with "instance:". */
	certificatePath?: string;
	sshPort?: number;
	nodeExporterUrl?: string;
	problem?: RegExp;
};

const cases: Case[] = [
	{title: 'plain HTTP', config: {Hostname: 'casa', Update: {HTTPPassword: 'secret'}}, url: 'http://casa', password: 'secret'},
	{
		title: 'custom HTTP port',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', HTTPPort: '8080'}},
		url: 'http://casa:8080',
		password: 'secret',
	},
	{
		title: 'Update.Hostname says where to reach it',
		config: {Hostname: 'casa', Update: {Hostname: '10.0.0.23', HTTPPassword: 'secret'}},
		url: 'http://10.0.0.23',
		password: 'secret',
	},
	{
		title: 'an IPv6 Update.Hostname is bracketed',
		config: {Hostname: 'casa', Update: {Hostname: 'fd00::23', HTTPPassword: 'secret', HTTPPort: '8080'}},
		url: 'http://[fd00::23]:8080',
		password: 'secret',
	},
	{
		title: 'self-signed TLS pins hosts/<Hostname>/cert.pem, HTTPS port from config',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'self-signed', HTTPSPort: '8443'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'https://casa:8443',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'hosts/casa/cert.pem',
	},
	{
		title: 'self-signed TLS on the default port 443',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'self-signed'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'https://casa',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'hosts/casa/cert.pem',
	},
	{
		title: 'gok: without HTTPSPort the HTTPS port falls back to HTTPPort',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'self-signed', HTTPPort: '8080'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'https://casa:8080',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'hosts/casa/cert.pem',
	},
	{
		title: 'the certificate stays under Hostname when Update.Hostname differs',
		config: {Hostname: 'casa', Update: {Hostname: 'casa.lan', HTTPPassword: 'secret', UseTLS: 'self-signed'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'https://casa.lan',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'hosts/casa/cert.pem',
	},
	{
		title: 'UseTLS empty: TLS because the certificate and key exist',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'https://casa',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'hosts/casa/cert.pem',
	},
	{
		title: 'UseTLS empty: no TLS with a certificate but no key',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem},
		url: 'http://casa',
		password: 'secret',
	},
	{
		title: 'UseTLS off: plain HTTP even with certificates',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'off'}},
		gokrazyFiles: {'hosts/casa/cert.pem': certificatePem, 'hosts/casa/key.pem': 'key'},
		url: 'http://casa',
		password: 'secret',
	},
	{
		title: 'self-signed before gok created the certificate: HTTP, with a warning',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'self-signed'}},
		url: 'http://casa',
		password: 'secret',
		problem: /self-signed but .*hosts\/casa\/cert\.pem does not exist yet/,
	},
	{
		title: 'explicit certificate paths, relative to the instance folder',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'tls/web.pem,tls/web.key', HTTPSPort: '4443'}},
		instanceFiles: {'tls/web.pem': certificatePem, 'tls/web.key': 'key'},
		url: 'https://casa:4443',
		password: 'secret',
		certificate: certificatePem,
		certificatePath: 'instance:tls/web.pem',
	},
	{
		title: 'explicit certificate that cannot be read: HTTPS without a pin, with a warning',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'secret', UseTLS: 'missing.pem,missing.key'}},
		url: 'https://casa',
		password: 'secret',
		problem: /cannot read the certificate .*missing\.pem/,
	},
	{
		title: 'old setups: http-password.txt and http-port.txt in hosts/<Hostname>/',
		config: {Hostname: 'casa'},
		gokrazyFiles: {'hosts/casa/http-password.txt': 'from-host-file\n', 'hosts/casa/http-port.txt': ' 8081\n'},
		url: 'http://casa:8081',
		password: 'from-host-file',
	},
	{
		title: 'old setups: the global http-password.txt and http-port.txt',
		config: {Hostname: 'casa'},
		gokrazyFiles: {'http-password.txt': 'from-global-file\n', 'http-port.txt': '2080'},
		url: 'http://casa:2080',
		password: 'from-global-file',
	},
	{
		title: 'the host file wins over the global one, config.json over both',
		config: {Hostname: 'casa', Update: {HTTPPort: '9000'}},
		gokrazyFiles: {'hosts/casa/http-password.txt': 'host', 'http-password.txt': 'global', 'http-port.txt': '2080'},
		url: 'http://casa:9000',
		password: 'host',
	},
	{
		title: 'passwords with any characters survive, from config.json',
		config: {Hostname: 'casa', Update: {HTTPPassword: 'p:@/%#"ä ✓ x'}},
		url: 'http://casa',
		password: 'p:@/%#"ä ✓ x',
	},
	{
		title: 'passwords with any characters survive, from http-password.txt (trimmed like gok)',
		config: {Hostname: 'casa'},
		gokrazyFiles: {'hosts/casa/http-password.txt': '  p:@/%#"ä ✓\n'},
		url: 'http://casa',
		password: 'p:@/%#"ä ✓',
	},
	{
		title: 'NoPassword: listed without a password, with a warning',
		config: {Hostname: 'casa', Update: {NoPassword: true, HTTPPassword: 'ignored'}},
		gokrazyFiles: {'http-password.txt': 'ignored too'},
		url: 'http://casa',
		problem: /NoPassword is set: the device serves its API only on a unix socket/,
	},
	{
		title: 'no password anywhere: listed, with a warning',
		config: {Hostname: 'casa'},
		url: 'http://casa',
		problem: /no HTTP password/,
	},
	{
		title: 'breakglass -port=N',
		config: {
			Hostname: 'casa',
			Update: {HTTPPassword: 'secret'},
			PackageConfig: {'github.com/gokrazy/breakglass': {CommandLineFlags: ['-authorized_keys=/etc/breakglass.authorized_keys', '-port=2222']}},
		},
		url: 'http://casa',
		password: 'secret',
		sshPort: 2222,
	},
	{
		title: 'node_exporter moved by its --web.listen-address and --web.telemetry-path flags',
		config: {
			Hostname: 'casa',
			Update: {HTTPPassword: 'secret'},
			PackageConfig: {'github.com/prometheus/node_exporter': {CommandLineFlags: ['--collector.disable-defaults', '--web.listen-address=:9200', '--web.telemetry-path', '/node']}},
		},
		url: 'http://casa',
		password: 'secret',
		nodeExporterUrl: 'http://casa:9200/node',
	},
	{
		title: 'field names match case-insensitively, as in Go',
		config: {hostname: 'casa', update: {httppassword: 'secret', httpport: '8080'}},
		url: 'http://casa:8080',
		password: 'secret',
	},
];

for (const testCase of cases) {
	test(`discovery: ${testCase.title}`, async t => {
		const host = await makeHost(t);
		const configPath = await writeInstance(host, 'casa-instance', testCase.config);
		for (const [file, content] of Object.entries(testCase.gokrazyFiles ?? {})) {
			await writeFileIn(path.join(host.gokrazy, file), content);
		}

		for (const [file, content] of Object.entries(testCase.instanceFiles ?? {})) {
			await writeFileIn(path.join(host.parent, 'casa-instance', file), content);
		}

		const {targets, problems} = await discoverGokInstances(host);
		t.is(targets.length, 1);
		const target = targets[0];
		t.is(target.name, 'casa-instance');
		t.is(target.url, testCase.url);
		t.is(target.password, testCase.password);
		t.is(target.source, 'gok');
		t.is(target.origin, configPath);
		t.is(target.certificate, testCase.certificate);
		let certificatePath: string | undefined;
		if (testCase.certificatePath?.startsWith('instance:')) {
			certificatePath = path.join(host.parent, 'casa-instance', testCase.certificatePath.slice('instance:'.length));
		} else if (testCase.certificatePath) {
			certificatePath = path.join(host.gokrazy, testCase.certificatePath);
		}

		t.is(target.certificatePath, certificatePath);
		t.is(target.sshPort, testCase.sshPort);
		t.is(target.nodeExporterUrl, testCase.nodeExporterUrl);
		if (testCase.problem) {
			t.is(problems.length, 1, JSON.stringify(problems));
			t.regex(problems[0].message, testCase.problem);
			t.true(problems[0].message.startsWith(`${configPath}: `));
			t.is(problems[0].device, 'casa-instance');
		} else {
			t.deepEqual(problems, []);
		}
	});
}

test('a broken config.json is reported with its path, the JSON error and where; the others still load', async t => {
	const host = await makeHost(t);
	await writeInstance(host, 'alpha', {Hostname: 'alpha', Update: {HTTPPassword: 'a'}});
	const broken = await writeInstance(host, 'broken', '{\n    "Hostname": "broken"\n    "Update": {}\n}\n');
	await writeInstance(host, 'gamma', {Hostname: 'gamma', Update: {HTTPPassword: 'g'}});
	const {targets, problems} = await discoverGokInstances(host);
	t.deepEqual(targets.map(target => target.name), ['alpha', 'gamma']);
	t.is(problems.length, 1);
	t.is(problems[0].path, broken);
	t.is(problems[0].device, 'broken');
	t.regex(problems[0].message, /^.+\/broken\/config\.json: invalid JSON: no "," or "}" after a property value \(line 3,? column 5\)$/);
	t.false(problems[0].message.includes('\n'));
});

test('a truncated config.json points at its end', async t => {
	const host = await makeHost(t);
	await writeInstance(host, 'cut', '{\n  "Hostname": "cut",\n');
	const {targets, problems} = await discoverGokInstances(host);
	t.deepEqual(targets, []);
	t.regex(problems[0].message, /invalid JSON: .*\(line 3,? column 1\)$/);
});

test('fields of the wrong type are refused as gok refuses them', async t => {
	const host = await makeHost(t);
	const configPath = await writeInstance(host, 'typed', {Hostname: 'typed', Update: {HTTPPort: 8080}});
	await writeInstance(host, 'list', []);
	const {targets, problems} = await discoverGokInstances(host);
	t.deepEqual(targets, []);
	t.deepEqual(
		problems.map(problem => problem.message),
		[`${path.join(host.parent, 'list', 'config.json')}: the top level must be a JSON object, not an array`, `${configPath}: Update.HTTPPort must be a string, not a number`],
	);
});

test('UseTLS with a certificate but no key path: refused like gok does, others still load', async t => {
	const host = await makeHost(t);
	await writeInstance(host, 'half', {Hostname: 'half', Update: {HTTPPassword: 'x', UseTLS: 'only-cert.pem'}});
	await writeInstance(host, 'fine', {Hostname: 'fine', Update: {HTTPPassword: 'x'}});
	const {targets, problems} = await discoverGokInstances(host);
	t.deepEqual(targets.map(target => target.name), ['fine']);
	t.regex(problems[0].message, /half\/config\.json: UseTLS "only-cert\.pem": no private key supplied/);
});

test('folders without config.json, hidden folders and plain files are not instances', async t => {
	const host = await makeHost(t);
	await mkdir(path.join(host.parent, 'empty'));
	await writeFileIn(path.join(host.parent, 'README.md'), 'notes');
	await writeInstance(host, '.hidden', {Hostname: 'hidden'});
	await writeInstance(host, 'real', {Hostname: 'real', Update: {HTTPPassword: 'x'}});
	const {targets, problems} = await discoverGokInstances(host);
	t.deepEqual(targets.map(target => target.name), ['real']);
	t.deepEqual(problems, []);
});

test('without $XDG_CONFIG_HOME the host files come from ~/.config/gokrazy, as Go\'s os.UserConfigDir says', async t => {
	const host = await makeHost(t, {xdg: false});
	await writeInstance(host, 'casa', {Hostname: 'casa'});
	await writeFileIn(path.join(host.home, '.config', 'gokrazy', 'hosts', 'casa', 'http-password.txt'), 'home-config');
	const {targets} = await discoverGokInstances(host);
	t.is(targets[0].password, 'home-config');
});

test('a relative $XDG_CONFIG_HOME is refused, as Go refuses it', async t => {
	const host = await makeHost(t);
	host.env.XDG_CONFIG_HOME = 'relative/config';
	t.is(userConfigDir(host), undefined);
	await writeInstance(host, 'casa', {Hostname: 'casa', Update: {HTTPPassword: 'x'}});
	const {targets, problems} = await discoverGokInstances(host);
	t.is(targets.length, 1);
	t.regex(problems[0].message, /XDG_CONFIG_HOME=relative\/config is relative/);
});

test('the parent folder: $GOKRAZY_PARENT_DIR, else ~/gokrazy; missing means no instances', async t => {
	const host = await makeHost(t);
	t.is(gokParentDir(host), host.parent);
	t.is(gokParentDir({env: {}, home: host.home}), path.join(host.home, 'gokrazy'));
	t.deepEqual(await discoverGokInstances({env: {}, home: host.home}), {targets: [], problems: []});
	await writeFileIn(path.join(host.home, 'gokrazy', 'hello', 'config.json'), JSON.stringify({Hostname: 'hello', Update: {HTTPPassword: 'x'}}));
	const {targets} = await discoverGokInstances({env: {XDG_CONFIG_HOME: path.join(host.root, 'xdg')}, home: host.home});
	t.deepEqual(targets.map(target => target.name), ['hello']);
});

test('userConfigDir follows Go on each platform', t => {
	t.is(userConfigDir({env: {}, home: '/home/u', platform: 'linux'}), '/home/u/.config');
	t.is(userConfigDir({env: {XDG_CONFIG_HOME: '/x'}, home: '/home/u', platform: 'linux'}), '/x');
	t.is(userConfigDir({env: {XDG_CONFIG_HOME: '/x'}, home: '/Users/u', platform: 'darwin'}), '/Users/u/Library/Application Support');
	t.is(userConfigDir({env: {APPDATA: 'C:\\Users\\u\\AppData\\Roaming'}, home: 'C:\\Users\\u', platform: 'win32'}), 'C:\\Users\\u\\AppData\\Roaming');
	t.is(userConfigDir({env: {}, home: '', platform: 'linux'}), undefined);
});

const flagCases: Array<[string[], number | undefined]> = [
	[['-port=2222'], 2222],
	[['--port=2223'], 2223],
	[['-port', '2224'], 2224],
	[['-forward=loopback', '-port=2225', '-enable_banner=false'], 2225],
	[['-port=2222', '-port=2226'], 2226],
	[['-authorized_keys=/perm/keys'], undefined],
	[['-port=notaport'], undefined],
	[['-port=70000'], undefined],
	// Go's flag package stops at the first non-flag argument.
	[['extra', '-port=2227'], undefined],
	[['--', '-port=2228'], undefined],
	[[], undefined],
];

for (const [flags, port] of flagCases) {
	test(`breakglass port from ${JSON.stringify(flags)} is ${port}`, t => {
		t.is(breakglassPortFromFlags(flags), port);
	});
}

const exporterCases: Array<[string[], string | undefined]> = [
	[[], undefined],
	[['--collector.systemd'], undefined],
	[['--web.listen-address=:9100'], 'http://casa.lan:9100/metrics'],
	[['--web.listen-address', '0.0.0.0:9200'], 'http://casa.lan:9200/metrics'],
	[['--web.listen-address=[::]:9201'], 'http://casa.lan:9201/metrics'],
	[['--web.listen-address=10.0.0.5:9202', '--web.listen-address=:9203'], 'http://10.0.0.5:9202/metrics'],
	[['--web.listen-address=[fd00::5]:9204'], 'http://[fd00::5]:9204/metrics'],
	[['--web.telemetry-path=/node/metrics'], 'http://casa.lan:9100/node/metrics'],
	[['--web.listen-address=nonsense'], undefined],
	[['--web.listen-address=:99999'], undefined],
];

for (const [flags, url] of exporterCases) {
	test(`node exporter URL from ${JSON.stringify(flags)} is ${url}`, t => {
		t.is(nodeExporterUrlFromFlags(flags, 'casa.lan'), url);
	});
}

test('describeJsonError says why and where, from the text alone, never quoting it', t => {
	const text = '{\n  "a": 1,\n  x\n}';
	let error: unknown;
	try {
		JSON.parse(text);
	} catch (caught) {
		error = caught;
	}

	t.regex(describeJsonError(text, error), /\(line 3,? column 3\)$/);
	t.is(describeJsonError(''), 'the text ends where a value was expected (line 1, column 1)');
	t.is(describeJsonError('{"a": 1}'), 'not valid JSON');
	// V8's own message for this one quotes the text around the error: `Unexpected token 's', ..."assword": secret-pw}"`.
	const leaky = '{"HttpPassword": secret-pw}';
	t.throws(() => JSON.parse(leaky), {message: /secret-pw/});
	t.is(describeJsonError(leaky), 'an unexpected character where a value was expected (line 1, column 18)');
});
