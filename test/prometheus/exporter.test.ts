// `krazy-tui exporter` end to end: the built CLI polls demo devices and a real Prometheus scrapes it.
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {closedPort} from '../helpers/bad-servers.js';
import {runCli} from '../helpers/cli.js';
import {useDemoDevice} from '../helpers/demo-device.js';
import {useExporter} from '../helpers/exporter.js';
import {usePrometheus} from '../helpers/prometheus.js';

const homes: string[] = [];
test.after.always(() => {
	for (const home of homes) {
		rmSync(home, {recursive: true, force: true});
	}
});

function isolatedEnv(devices: unknown[] = []): NodeJS.ProcessEnv {
	const home = mkdtempSync(path.join(os.tmpdir(), 'krazy-home-'));
	homes.push(home);
	const configDir = path.join(home, 'config');
	mkdirSync(configDir, {recursive: true});
	writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({devices}), {mode: 0o600});
	return {HOME: home, GOKRAZY_PARENT_DIR: path.join(home, 'gokrazy'), KRAZY_TUI_CONFIG_DIR: configDir};
}

test('a real Prometheus scrape reads devices, services and labels with quotes, newlines and backslashes exactly', async t => {
	const weirdHostname = 'we"ird\\host\nsecond line';
	const weirdName = 'la "cave"\\ du\nsous-sol';
	const demo = await useDemoDevice(t, {hostname: weirdHostname, crashAfterMs: 60_000});
	const deadPort = await closedPort();
	const env = isolatedEnv([
		{name: weirdName, url: demo.baseUrl, password: demo.password},
		{name: 'gone', url: `http://127.0.0.1:${deadPort}`, password: 'x'},
	]);
	const exporter = await useExporter(t, ['--interval', '0.5', '--timeout', '2'], {env});
	t.deepEqual(exporter.devices.sort(), [weirdName, 'gone'].sort());
	const prometheus = await usePrometheus(t, {jobs: [{job: 'krazy-tui', targets: [exporter.target]}]});

	const info = await prometheus.waitFor('gokrazy_device_info{hostname!=""}', result => result.length === 1, 30_000);
	t.is(info[0]!.metric.hostname, weirdHostname, 'the hostname label survives the exposition format and Prometheus unchanged');
	t.is(info[0]!.metric.device, weirdName);
	t.is(info[0]!.metric.url, demo.baseUrl);
	t.false(JSON.stringify(info).includes(demo.password), 'no password in any label');
	t.regex(info[0]!.metric.sbom_hash!, /^[0-9a-f]{64}$/);

	const up = await prometheus.query('gokrazy_device_up');
	t.deepEqual(
		Object.fromEntries(up.map(sample => [sample.metric.device, sample.value[1]])),
		{[weirdName]: '1', gone: '0'},
		'an unreachable device is up 0',
	);
	const scrape = await prometheus.query('up{job="krazy-tui"}');
	t.is(scrape[0]?.value[1], '1', 'the scrape itself succeeds while a device is unreachable');

	const running = await prometheus.query(`gokrazy_service_running{device=${JSON.stringify(weirdName)}}`);
	const runningByService = Object.fromEntries(running.map(sample => [sample.metric.service, sample.value[1]]));
	t.is(runningByService['/user/golink'], '1');
	t.is(runningByService['/user/breakglass'], '0', 'breakglass stays stopped until started');
	const stopped = await prometheus.query('gokrazy_service_stopped{service="/user/breakglass"}');
	t.is(stopped[0]?.value[1], '1');
	const rss = await prometheus.query('gokrazy_service_resident_memory_bytes{service="/user/golink"}');
	t.true(Number(rss[0]?.value[1]) > 100_000, 'RSS is in bytes');
	const built = await prometheus.query('time() - gokrazy_device_build_timestamp_seconds');
	t.true(Math.abs(Number(built[0]?.value[1])) < 600, 'the build timestamp is in seconds since the epoch');
	const memory = await prometheus.query('gokrazy_device_memory_available_bytes / gokrazy_device_memory_total_bytes');
	t.true(Number(memory[0]?.value[1]) > 0 && Number(memory[0]?.value[1]) <= 1);
	const started = await prometheus.query('time() - gokrazy_service_start_time_seconds{service="/user/golink"}');
	t.true(Number(started[0]?.value[1]) >= 0 && Number(started[0]?.value[1]) < 600);
	const own = await prometheus.query('process_resident_memory_bytes{job="krazy-tui"}');
	t.true(Number(own[0]?.value[1]) > 10_000_000, 'the exporter reports its own memory');
	t.is(prometheus.log().match(/level=(error|warn).*scrape/g), null, `no scrape warnings: ${prometheus.log()}`);
});

test('restarts the exporter sees become a counter Prometheus can take increase() of', async t => {
	const demo = await useDemoDevice(t, {hostname: 'looper', crashAfterMs: 700});
	const exporter = await useExporter(t, [demo.url, '--interval', '0.3']);
	const prometheus = await usePrometheus(t, {jobs: [{job: 'krazy-tui', targets: [exporter.target]}], scrapeIntervalMs: 500});
	// The crasher runs 0.7 s and the supervisor starts it again a second later: a few restarts within ~10 s.
	const restarts = await prometheus.waitFor('gokrazy_service_restarts_total{service="/user/crasher"} >= 2', result => result.length === 1, 45_000);
	t.is(restarts[0]!.metric.device, new URL(demo.baseUrl).host);
	const steady = await prometheus.query('gokrazy_service_restarts_total{service="/user/golink"}');
	t.is(steady[0]?.value[1], '0', 'a service that keeps running has a zero counter, present from the first answer');
});

test('exporter refuses a bad --listen and a taken port with one line each', async t => {
	const env = isolatedEnv();
	const bad = await runCli(['exporter', 'http://127.0.0.1:1', '--listen', 'nowhere'], {env});
	t.is(bad.code, 2);
	t.regex(bad.stderr, /^krazy-tui: exporter: --listen wants ADDR:PORT .*"nowhere"\n$/);

	const exporter = await useExporter(t, ['http://127.0.0.1:1'], {env});
	const taken = await runCli(['exporter', 'http://127.0.0.1:1', '--listen', exporter.target], {env});
	t.is(taken.code, 1);
	t.regex(taken.stderr, /^exporter: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\n$/);
});
