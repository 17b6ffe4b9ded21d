// Reading a real prometheus-node-exporter: the figures the dashboard graphs, rates between scrapes, and failures.
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
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

test('two scrapes give a CPU share between 0 and 100', async t => {
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
});

/** /proc/net/dev as Linux writes it: loopback and one Ethernet card with the given byte counters. */
function netDev(rx: number, tx: number): string {
	return [
		'Inter-|   Receive                                                |  Transmit',
		' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
		`    lo: 9000000      90    0    0    0     0          0         0  9000000      90    0    0    0     0       0          0`,
		`  eth0: ${rx}     100    0    0    0     0          0         0 ${tx}      50    0    0    0     0       0          0`,
		'',
	].join('\n');
}

test('network rates from the real exporter reading a /proc/net/dev whose counters the test sets, loopback left out', async t => {
	// The exporter's own procfs flag points it at a folder of the test's, so the check runs on any machine (this one
	// may have nothing but lo), and the rates are exact: 4000 bytes in, 1000 out over 2 s of the test's clock.
	const procfs = await mkdtemp(path.join(os.tmpdir(), 'krazy-procfs-'));
	t.teardown(() => rm(procfs, {recursive: true, force: true}));
	await mkdir(path.join(procfs, 'net'));
	await writeFile(path.join(procfs, 'net', 'dev'), netDev(1000, 500));
	const exporter = await startNodeExporter({collectorArgs: ['--collector.netdev', '--no-collector.netdev.netlink', `--path.procfs=${procfs}`]});
	t.teardown(() => exporter.stop());
	const first = await scrapeNodeExporter('casa', exporter.url, {now: () => 10_000});
	t.is(first.rxBytes, 1000, 'eth0 only: the loopback\'s 9 MB are not device traffic');
	t.is(first.txBytes, 500);
	await writeFile(path.join(procfs, 'net', 'dev'), netDev(5000, 1500));
	const second = await scrapeNodeExporter('casa', exporter.url, {now: () => 12_000});
	const rates = nodeExporterRates(first, second);
	t.is(rates.rxBytesPerSecond, 2000);
	t.is(rates.txBytesPerSecond, 500);
	t.is(rates.cpuPercent, null, 'no CPU collector, no CPU share');
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
