// Prometheus end to end: a real server scrapes the exporter (in front of a demo device and a light fleet) and real node
// exporters, evaluates the shipped rules; the client, the history and fleet mappings, and `status --prometheus` read it back.
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {deviceHistory, historyWindows} from '../../source/core/prometheus/history.js';
import {readFleetView} from '../../source/core/prometheus/fleet-view.js';
import {PrometheusClient} from '../../source/core/prometheus/prometheus-client.js';
import {startDemoDevice, type DemoDevice} from '../../source/demo/demo-device.js';
import {startLightFleet, type LightFleet} from '../../source/demo/light-fleet.js';
import {closedPort} from '../helpers/bad-servers.js';
import {runCli, spawnCli} from '../helpers/cli.js';
import {startNodeExporter, type RunningNodeExporter} from '../helpers/node-exporter.js';
import {startPrometheus, type RunningPrometheus} from '../helpers/prometheus.js';

const rulesFile = fileURLToPath(new URL('../../prometheus/krazy-tui.rules.yml', import.meta.url));

let casa: DemoDevice;
let fleet: LightFleet;
let casaNode: RunningNodeExporter;
let loneNode: RunningNodeExporter;
let prometheus: RunningPrometheus;
let stopExporter: () => Promise<void>;
let env: NodeJS.ProcessEnv;
let deadUrl: string;
let home: string | undefined;

test.before(async () => {
	// casa has a host of its own (127.0.0.2) with its node exporter; 127.0.0.3 runs only a node exporter.
	[casa, fleet, casaNode, loneNode] = await Promise.all([
		startDemoDevice({host: '127.0.0.2', hostname: 'casa', crashAfterMs: 700}),
		startLightFleet({count: 3}),
		startNodeExporter({host: '127.0.0.2'}),
		startNodeExporter({host: '127.0.0.3'}),
	]);
	deadUrl = `http://127.0.0.1:${await closedPort()}`;
	home = mkdtempSync(path.join(os.tmpdir(), 'krazy-home-'));
	const configDir = path.join(home, 'config');
	mkdirSync(configDir, {recursive: true});
	writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({devices: [{name: 'casa', url: casa.baseUrl, password: casa.password}]}), {mode: 0o600});
	env = {HOME: home, GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: configDir};

	// A loaded machine can answer a poll late: the test's budget is generous so a slow poll does not drop the device's series (and its alert).
	const exporter = spawnCli(['exporter', casa.url, ...fleet.devices.map(device => device.url), deadUrl, '--interval', '0.3', '--timeout', '15', '--listen', '127.0.0.1:0', '--json'], {env});
	const exited = new Promise(resolve => exporter.once('exit', resolve));
	stopExporter = async () => {
		exporter.kill('SIGTERM');
		await exited;
	};

	const line = await new Promise<string>((resolve, reject) => {
		let buffered = '';
		exporter.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffered += text;
			if (buffered.includes('\n')) {
				resolve(buffered.slice(0, buffered.indexOf('\n')));
			}
		});
		void exited.then(() => reject(new Error('the exporter exited before listening')));
	});
	const {port} = JSON.parse(line) as {port: number};
	prometheus = await startPrometheus({
		ruleFiles: [rulesFile],
		jobs: [
			{job: 'krazy-tui', targets: [`127.0.0.1:${port}`]},
			{job: 'node', targets: [new URL(casaNode.url).host]},
			{job: 'lab', targets: [new URL(loneNode.url).host], labels: {gokrazy: 'true'}},
		],
	});
});

test.after.always(async () => {
	await prometheus?.stop();
	await stopExporter?.();
	await Promise.all([casa?.stop(), fleet?.stop(), casaNode?.stop(), loneNode?.stop()]);
	if (home) {
		rmSync(home, {recursive: true, force: true});
	}
});

const crashLoopFiring = 'ALERTS{alertname="GokrazyServiceCrashLooping",alertstate="firing",service="/user/crasher"}';

test.serial('status --prometheus --json puts the firing crash-loop alert on casa\'s crasher and lists the devices only Prometheus knows', async t => {
	await prometheus.waitFor(crashLoopFiring, result => result.length === 1, 60_000);
	await prometheus.waitFor('count(gokrazy_device_up) == 5 and count(up{job=~"node|lab"} == 1) == 2', result => result.length === 1, 30_000);
	const result = await runCli(['status', '--prometheus', prometheus.url, '--json'], {env, timeoutMs: 60_000});
	t.is(result.code, 0, result.stderr);
	const document = JSON.parse(result.stdout) as {
		devices: Array<{name: string; alerts: Array<{name: string; service: string | null; state: string}>; services: Array<{path: string; alerts: Array<{name: string}>}>}>;
		prometheus: {url: string; error: string | null; firing: number; discovered: Array<{name: string; url: string; up: boolean | null; via: string; nodeExporterUrl: string | null}>};
	};
	t.is(document.prometheus.error, null);
	t.is(document.prometheus.url, prometheus.url);
	t.true(document.prometheus.firing >= 1);
	const [device] = document.devices;
	t.is(device!.name, 'casa');
	t.true(device!.alerts.some(alert => alert.name === 'GokrazyServiceCrashLooping' && alert.service === '/user/crasher' && alert.state === 'firing'));
	const crasher = device!.services.find(service => service.path === '/user/crasher')!;
	t.deepEqual(crasher.alerts.map(alert => alert.name), ['GokrazyServiceCrashLooping']);
	t.deepEqual(device!.services.find(service => service.path === '/user/golink')!.alerts, []);

	const discovered = new Map(document.prometheus.discovered.map(entry => [entry.url, entry]));
	t.false(discovered.has(casa.baseUrl), 'casa is asked directly, not listed again');
	for (const light of fleet.devices) {
		t.like(discovered.get(light.baseUrl), {up: true, via: 'exporter'});
	}

	t.like(discovered.get(deadUrl), {up: false, via: 'exporter'});
	t.like(discovered.get('http://127.0.0.3'), {name: '127.0.0.3', via: 'node-exporter', nodeExporterUrl: loneNode.url, up: true});
	t.is(document.prometheus.discovered.length, 5);
});

test.serial('status --prometheus shows the alert on the service row for a person', async t => {
	// On a loaded machine the crash-loop alert can drop out between two rule evaluations (a late poll starts the
	// restart counter's series again): status is asked until it shows the alert, within the test's own budget.
	let result = await runCli(['status', 'casa', '--prometheus', prometheus.url], {env, timeoutMs: 60_000});
	for (const deadline = Date.now() + 60_000; !result.stdout.includes('ALERT GokrazyServiceCrashLooping') && Date.now() < deadline;) {
		await prometheus.waitFor(crashLoopFiring, found => found.length === 1, 60_000);
		result = await runCli(['status', 'casa', '--prometheus', prometheus.url], {env, timeoutMs: 60_000});
	}

	t.is(result.code, 0, result.stderr);
	t.regex(result.stdout, /^casa .* online /m);
	t.regex(result.stdout, /^ {2}ALERT GokrazyServiceCrashLooping on \/user\/crasher \(warning\): \/user\/crasher on .* is crash-looping$/m);
	t.regex(result.stdout, new RegExp(`^prometheus ${prometheus.url}: \\d+ alert\\(s\\) firing, \\d+ pending$`, 'm'));
	t.notRegex(result.stdout, /known to Prometheus only/, 'with DEVICE arguments only those devices are shown');
});

test.serial('the fleet view attaches casa\'s node exporter by host and counts alerts fleet-wide', async t => {
	await prometheus.waitFor(crashLoopFiring, result => result.length === 1, 60_000);
	const client = new PrometheusClient(prometheus.url);
	t.teardown(() => {
		client.close();
	});
	const view = await readFleetView(client);
	t.deepEqual(view.failures, []);
	const casaEntry = view.devices.find(device => device.url === casa.baseUrl)!;
	t.is(casaEntry.hostname, 'casa');
	t.is(casaEntry.nodeInstance, new URL(casaNode.url).host);
	t.is(casaEntry.nodeExporterUrl, casaNode.url);
	t.true(view.firing >= 1);
	t.true(view.alertsByDevice.get(casaEntry.name)!.some(alert => alert.service === '/user/crasher'));
});

test.serial('a device\'s history comes back as bounded series: memory, CPU, network, per-service RSS', async t => {
	const client = new PrometheusClient(prometheus.url);
	t.teardown(() => {
		client.close();
	});
	const device = new URL(casa.baseUrl).host;
	// Two node exporter scrapes at least, so a rate exists.
	await prometheus.waitFor(`count_over_time(node_cpu_seconds_total{instance="${new URL(casaNode.url).host}",mode="idle",cpu="0"}[1m]) >= 3`, result => result.length === 1, 30_000);
	const history = await deviceHistory(client, {device, nodeInstance: new URL(casaNode.url).host, window: '1h', minStepMs: 1000, points: 3600});
	t.deepEqual(history.problems, []);
	t.is(history.endMs - history.startMs, historyWindows['1h']);
	t.true(history.memoryUsed!.values.length >= 2);
	t.true(history.memoryUsed!.latest! > 0);
	t.true(history.memoryUsed!.stepMs >= 1000);
	t.true(history.cpuPercent!.latest! >= 0 && history.cpuPercent!.latest! <= 100);
	t.true(history.rxBytesPerSecond!.latest! >= 0);
	t.true(history.txBytesPerSecond!.latest! >= 0);
	t.true(history.serviceRss.get('/user/golink')!.latest! > 100_000);
	t.is(history.memoryUsed!.source, 'prometheus');
	t.true(history.memoryUsed!.values.length <= 1001, 'the client bounds the points of a range (maxPoints 1000)');

	const week = await deviceHistory(client, {device, nodeInstance: null, window: '7d'});
	t.is(week.cpuPercent, null, 'no node exporter, no CPU');
	t.is(week.memoryUsed!.stepMs, Math.ceil(historyWindows['7d'] / 240 / 1000) * 1000);
	t.true(week.memoryUsed!.values.length <= 241);
});

test.serial('a query Prometheus rejects is an error naming the server and its reason', async t => {
	const client = new PrometheusClient(prometheus.url);
	t.teardown(() => {
		client.close();
	});
	const error = await t.throwsAsync(client.query('sum(('));
	t.regex(error.message, new RegExp(`^prometheus 127\\.0\\.0\\.1:${prometheus.port}: bad_data: .*parse error`));
	const ranged = await client.queryRange('up', {startMs: Date.now() - 3_600_000, endMs: Date.now(), stepMs: 1});
	t.true(ranged.stepMs >= 3_600_000 / 999, 'a step that would give 3.6 million points is raised');
	t.true(ranged.series.every(series => series.values.length <= 1000));
});
