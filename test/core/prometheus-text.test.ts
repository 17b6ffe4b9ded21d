// The Prometheus text format parser, on hand-written edge cases and on a real node exporter's output.
import test from 'ava';
import {parsePrometheusText} from '../../source/core/prometheus-text.js';
import {startNodeExporter} from '../helpers/node-exporter.js';

test('samples with and without labels; comments and blank lines skipped', t => {
	const {samples, invalidLines} = parsePrometheusText([
		'# HELP node_load1 1m load average.',
		'# TYPE node_load1 gauge',
		'node_load1 0.52',
		'',
		'node_cpu_seconds_total{cpu="0",mode="idle"} 661.32',
		'node_network_receive_bytes_total{device="eth0"} 3.69265579e+08 1700000000000',
	].join('\n'));
	t.is(invalidLines, 0);
	t.deepEqual(samples, [
		{name: 'node_load1', labels: {}, value: 0.52},
		{name: 'node_cpu_seconds_total', labels: {cpu: '0', mode: 'idle'}, value: 661.32},
		{name: 'node_network_receive_bytes_total', labels: {device: 'eth0'}, value: 369_265_579},
	]);
});

test('escaped label values, special values, and broken lines that are skipped without hiding the rest', t => {
	const {samples, invalidLines} = parsePrometheusText([
		'node_filesystem_avail_bytes{mountpoint="/a \\"b\\"\\\\c\\n",fstype="ext4",} 12',
		'x_nan NaN',
		'x_inf +Inf',
		'x_minf -Inf',
		'broken{label="unterminated 1',
		'9starts_with_digit 1',
		'no_value',
		'bad_value abc',
		'ok_after 3',
	].join('\n'));
	t.is(invalidLines, 4);
	t.deepEqual(samples[0], {name: 'node_filesystem_avail_bytes', labels: {mountpoint: '/a "b"\\c\n', fstype: 'ext4'}, value: 12});
	t.true(Number.isNaN(samples[1].value));
	t.is(samples[2].value, Number.POSITIVE_INFINITY);
	t.is(samples[3].value, Number.NEGATIVE_INFINITY);
	t.deepEqual(samples.at(-1), {name: 'ok_after', labels: {}, value: 3});
});

test('a real prometheus-node-exporter scrape parses without invalid lines', async t => {
	const exporter = await startNodeExporter();
	t.teardown(() => exporter.stop());
	const text = await (await fetch(exporter.url)).text();
	const {samples, invalidLines} = parsePrometheusText(text);
	t.is(invalidLines, 0);
	t.true(samples.some(sample => sample.name === 'node_cpu_seconds_total' && sample.labels.mode === 'idle'));
	t.true(samples.some(sample => sample.name === 'node_load1'));
	t.true(samples.some(sample => sample.name === 'node_memory_MemAvailable_bytes' && sample.value > 0));
});
