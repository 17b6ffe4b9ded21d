// Reading a real prometheus-node-exporter: the figures the dashboard graphs, rates between scrapes, and failures.
import http from 'node:http';
import test from 'ava';
import {
	defaultNodeExporterUrl,
	nodeExporterRates,
	readingFromSamples,
	runsNodeExporter,
	scrapeNodeExporter,
	type NodeExporterReading,
} from '../../source/core/node-exporter.js';
import {isDeviceError} from '../../source/core/device-error.js';
import {parsePrometheusText} from '../../source/core/prometheus-text.js';
import {freePort, startNodeExporter} from '../helpers/node-exporter.js';

test('a scrape of the real exporter has CPU counters, load, memory and network without loopback', async t => {
	const exporter = await startNodeExporter();
	t.teardown(() => exporter.stop());
	const reading = await scrapeNodeExporter('casa', exporter.url);
	t.true(reading.cpuCount >= 1);
	t.true(reading.cpuTotalSeconds! > 0);
	t.true(reading.cpuIdleSeconds! <= reading.cpuTotalSeconds!);
	t.not(reading.load1, null);
	t.true(reading.memAvailable! > 0 && reading.memAvailable! <= reading.memTotal!);

	const text = await (await fetch(exporter.url)).text();
	const loopbackOnly = readingFromSamples(parsePrometheusText(text).samples.filter(sample => !sample.name.startsWith('node_network') || sample.labels.device === 'lo'), 0);
	t.is(loopbackOnly.rxBytes, null, 'loopback traffic is not device traffic');
});

test('two scrapes give a CPU share between 0 and 100 and non-negative network rates', async t => {
	const exporter = await startNodeExporter();
	t.teardown(() => exporter.stop());
	const first = await scrapeNodeExporter('casa', exporter.url);
	// Make some CPU work between the scrapes so the counters move.
	const until = Date.now() + 300;
	while (Date.now() < until) {
		Math.sqrt(Math.random());
	}

	const second = await scrapeNodeExporter('casa', exporter.url);
	const rates = nodeExporterRates(first, second);
	t.not(rates.cpuPercent, null);
	t.true(rates.cpuPercent! >= 0 && rates.cpuPercent! <= 100);
	if (first.rxBytes !== null) {
		t.true(rates.rxBytesPerSecond! >= 0);
	}
});

test('rates are null where a counter went backwards (the exporter or device restarted)', t => {
	const base: NodeExporterReading = {
		at: 0, cpuTotalSeconds: 100, cpuIdleSeconds: 50, cpuCount: 2, load1: 1, load5: 1, load15: 1,
		rxBytes: 1000, txBytes: 1000, memTotal: 10, memAvailable: 5,
	};
	const rates = nodeExporterRates(base, {...base, at: 2000, cpuTotalSeconds: 10, cpuIdleSeconds: 5, rxBytes: 3000, txBytes: 10});
	t.is(rates.cpuPercent, null);
	t.is(rates.rxBytesPerSecond, 1000);
	t.is(rates.txBytesPerSecond, null);
	const busy = nodeExporterRates(base, {...base, at: 1000, cpuTotalSeconds: 104, cpuIdleSeconds: 51});
	t.is(busy.cpuPercent, 75);
});

test('nothing listening: an unreachable DeviceError naming the device', async t => {
	const port = await freePort();
	const error = await t.throwsAsync(scrapeNodeExporter('casa', `http://127.0.0.1:${port}/metrics`));
	t.true(isDeviceError(error));
	t.regex(error!.message, /^casa: node_exporter at http:\/\/127\.0\.0\.1:\d+\/metrics/);
});

test('a server that is not a node exporter is said to be one that is not', async t => {
	const server = http.createServer((_request, response) => {
		response.end('<html>hello</html>');
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => server.close());
	const {port} = server.address() as {port: number};
	const error = await t.throwsAsync(scrapeNodeExporter('casa', `http://127.0.0.1:${port}/metrics`));
	t.regex(error!.message, /is not a node exporter/);
});

test('an error status, an answer cut off and a silent server: each a DeviceError of its own kind', async t => {
	const server = http.createServer((request, response) => {
		if (request.url === '/missing') {
			response.writeHead(404).end('not here');
		} else if (request.url === '/cut') {
			response.writeHead(200, {'content-length': '100000'});
			response.write('node_load1 0.5\n');
			setTimeout(() => response.destroy(), 50);
		}
		// Anything else: no answer at all.
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.closeAllConnections();
		server.close();
	});
	const {port} = server.address() as {port: number};
	const missing = await t.throwsAsync(scrapeNodeExporter('casa', `http://127.0.0.1:${port}/missing`));
	t.like(missing, {kind: 'http', message: `casa: node_exporter at http://127.0.0.1:${port}/missing answered 404`});
	const cut = await t.throwsAsync(scrapeNodeExporter('casa', `http://127.0.0.1:${port}/cut`));
	t.like(cut, {kind: 'unreachable'});
	t.regex(cut!.message, /^casa: node_exporter at http:\/\/127\.0\.0\.1:\d+\/cut: /);
	const silent = await t.throwsAsync(scrapeNodeExporter('casa', `http://127.0.0.1:${port}/metrics`, {timeoutMs: 300}));
	t.like(silent, {kind: 'timeout', message: `casa: no answer from node_exporter at http://127.0.0.1:${port}/metrics`});
});

test('the default location is port 9100 of the device host; a service list can name the exporter', t => {
	t.is(defaultNodeExporterUrl({name: 'casa', url: 'http://10.0.0.23', source: 'url'}), 'http://10.0.0.23:9100/metrics');
	t.is(defaultNodeExporterUrl({name: 'casa', url: 'https://casa:8443', source: 'url'}), 'http://casa:9100/metrics');
	t.is(defaultNodeExporterUrl({name: 'v6', url: 'http://[fe80::1]:80', source: 'url'}), 'http://[fe80::1]:9100/metrics');
	t.true(runsNodeExporter(['/gokrazy/ntp', '/user/node_exporter']));
	t.false(runsNodeExporter(['/gokrazy/ntp', '/user/node_exporter_not']));
});
