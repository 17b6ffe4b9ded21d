// The dashboard with --prometheus against a real Prometheus scraping the exporter in front of demo devices: devices only
// Prometheus knows join, the crash-loop alert is on casa's row and counted in the title, H shows the history in three
// windows; a Prometheus that does not answer is said while the rows go on from the devices.
import {fileURLToPath} from 'node:url';
import React from 'react';
import test from 'ava';
import {render} from 'ink-testing-library';
import {createFleetStore} from '../../../source/core/fleet-store.js';
import {readFleetView} from '../../../source/core/prometheus/fleet-view.js';
import {targetFromUrl, type DeviceTarget} from '../../../source/core/device-target.js';
import {startDemoDevice} from '../../../source/demo/demo-device.js';
import {startLightFleet} from '../../../source/demo/light-fleet.js';
import {discoveredTargets, prometheusUrlFrom} from '../../../source/commands/dashboard-prometheus.js';
import {Dashboard} from '../../../source/ui/dashboard.js';
import {PrometheusLink} from '../../../source/ui/prometheus/prometheus-link.js';
import {closedPort} from '../../helpers/bad-servers.js';
import {useExporter} from '../../helpers/exporter.js';
import {usePrometheus} from '../../helpers/prometheus.js';
import {keys, press, waitForFrame} from '../frames.js';

const rulesFile = fileURLToPath(new URL('../../../prometheus/krazy-tui.rules.yml', import.meta.url));
const size = {columns: 130, rows: 36};

test('discovery adds what only Prometheus knows (not the same name or URL twice), with the password of this run', t => {
	const known: DeviceTarget[] = [{name: 'casa', url: 'http://10.0.0.2', source: 'saved', password: 'pw'}];
	const view = {devices: [
		{name: 'casa', url: 'http://10.0.0.9', hostname: null, up: true, via: 'exporter' as const, exporter: null, nodeExporterUrl: null, nodeInstance: null},
		{name: '10.0.0.2:80', url: 'http://10.0.0.2/', hostname: null, up: true, via: 'exporter' as const, exporter: null, nodeExporterUrl: null, nodeInstance: null},
		{name: 'shed', url: 'http://10.0.0.3', hostname: 'shed', up: true, via: 'exporter' as const, exporter: null, nodeExporterUrl: null, nodeInstance: null},
		{name: 'lab', url: 'http://10.0.0.4', hostname: null, up: true, via: 'node-exporter' as const, exporter: null, nodeExporterUrl: 'http://10.0.0.4:9100/metrics', nodeInstance: '10.0.0.4:9100'},
		{name: 'odd', url: 'http://10.0.0.5/x y', hostname: null, up: null, via: 'exporter' as const, exporter: null, nodeExporterUrl: null, nodeInstance: null},
	]};
	t.deepEqual(discoveredTargets(view, known, 'secret'), [
		{name: 'shed', url: 'http://10.0.0.3', source: 'url', password: 'secret'},
		{name: 'lab', url: 'http://10.0.0.4', source: 'url', password: 'secret', nodeExporterUrl: 'http://10.0.0.4:9100/metrics'},
	]);
	t.deepEqual(discoveredTargets(view, known, undefined).map(target => target.password), [undefined, undefined]);
	t.is(prometheusUrlFrom(undefined, 'http://p:9090'), 'http://p:9090');
	t.is(prometheusUrlFrom('off', 'http://p:9090'), null);
	t.is(prometheusUrlFrom('http://q:9090', null), 'http://q:9090');
});

test.serial('a real Prometheus: discovered devices join, the crash-loop alert is on the device and service rows and in the title, H shows 1 h / 24 h / 7 d', async t => {
	const [casa, fleet] = await Promise.all([startDemoDevice({hostname: 'casa', crashAfterMs: 700}), startLightFleet({count: 2, password: 'light-pw'})]);
	t.teardown(async () => {
		await Promise.all([casa.stop(), fleet.stop()]);
	});
	const exporter = await useExporter(t, [casa.url, ...fleet.devices.map(device => device.url), '--interval', '0.3']);
	const prometheus = await usePrometheus(t, {ruleFiles: [rulesFile], jobs: [{job: 'krazy-tui', targets: [exporter.target]}]});
	await prometheus.waitFor('ALERTS{alertname="GokrazyServiceCrashLooping",alertstate="firing",service="/user/crasher"}', result => result.length === 1, 90_000);
	await prometheus.waitFor('count(gokrazy_device_up == 1) == 3', result => result.length === 1, 30_000);

	// As `krazy-tui --prometheus URL casa` would start: casa configured, the light devices discovered.
	const casaTarget: DeviceTarget = {...targetFromUrl(casa.url), name: 'casa'};
	const link = new PrometheusLink({url: prometheus.url, refreshMs: 500});
	const view = await readFleetView(link.client);
	const found = discoveredTargets(view, [casaTarget], 'light-pw');
	t.deepEqual(found.map(target => target.url).sort(), fleet.devices.map(device => device.baseUrl).sort());
	const store = createFleetStore({targets: [casaTarget, ...found], pollIntervalMs: 500, nodeExporter: null});
	store.start();
	link.start();
	const app = render(<Dashboard store={store} prometheus={link} size={size} env={{}} onQuit={() => undefined} />);
	t.teardown(() => {
		app.unmount();
		link.stop();
		store.stop();
	});
	let frame = await waitForFrame(app, text => (text.match(/● online/g) ?? []).length === 3 && /⚑ \d+ alerts? firing/.test(text), 30_000);
	const casaRow = frame.split('\n').find(line => line.includes(' casa '))!;
	t.regex(casaRow, /⚑ GokrazyServiceCrashLooping \/user\/crasher/);
	// On the service's own row too, in place of its last line.
	frame = await waitForFrame(app, text => text.split('\n').some(line => line.includes(' /user/crasher ') && line.includes('⚑ GokrazyServiceCrashLooping')));
	t.false(frame.split('\n').some(line => line.includes(' /user/golink ') && line.includes('⚑')), 'only the service the alert is about');

	await press(app, 'H');
	frame = await waitForFrame(app, text => text.includes('History · casa · last hour') && text.includes('memory used') && !text.includes('reading…'), 30_000);
	t.regex(frame, new RegExp(`from Prometheus ${prometheus.url.replaceAll('.', '\\.')} · one point per \\d+ s`));
	t.regex(frame, /memory used +[·▁▂▃▄▅▆▇█]+ now [\d.]+[KMG]/);
	t.regex(frame, /\/user\/golink +[·▁▂▃▄▅▆▇█]+ now /, frame);
	t.regex(frame, /cpu +not in Prometheus/, 'no node exporter: said, not drawn empty');
	await press(app, '2');
	frame = await waitForFrame(app, text => text.includes('last 24 hours') && !text.includes('reading…'), 30_000);
	t.regex(frame, /one point per 6 min/);
	await press(app, 'w');
	frame = await waitForFrame(app, text => text.includes('last 7 days') && !text.includes('reading…'), 30_000);
	t.true((link.getState().history?.tookMs ?? Infinity) > 0);
	await press(app, keys.escape);
	await waitForFrame(app, text => !text.includes('History ·') && text.includes('HEALTH'));
});

test.serial('Prometheus not answering: said in the title and in the history view; the rows still come from the device', async t => {
	const casa = await startDemoDevice({hostname: 'casa'});
	t.teardown(() => casa.stop());
	const link = new PrometheusLink({url: `http://127.0.0.1:${await closedPort()}`, refreshMs: 500, timeoutMs: 1000});
	const store = createFleetStore({targets: [{...targetFromUrl(casa.url), name: 'casa'}], pollIntervalMs: 500, nodeExporter: null});
	store.start();
	link.start();
	const app = render(<Dashboard store={store} prometheus={link} size={size} env={{}} onQuit={() => undefined} />);
	t.teardown(() => {
		app.unmount();
		link.stop();
		store.stop();
	});
	let frame = await waitForFrame(app, text => text.includes('● online') && text.includes('Prometheus not answering'), 20_000);
	await press(app, 'H');
	frame = await waitForFrame(app, text => text.includes('History · casa') && /prometheus 127\.0\.0\.1:\d+/.test(text) && !text.includes('reading…'), 20_000);
	t.regex(frame, /still come from the devices themselves/, frame);
	await press(app, keys.escape);
	frame = await waitForFrame(app, text => text.includes('/user/golink'));
	t.regex(frame, /● online/);
});
