// The metric history rings: fixed size, oldest first, gaps kept, immutable series.
import test from 'ava';
import {MetricRing, ringCapacity} from '../../source/core/metric-ring.js';

test('a ring keeps the newest values, oldest first, and forgets past its capacity', t => {
	const ring = new MetricRing(3, 'gokrazy-json', 'bytes');
	for (const [index, value] of [10, 20, 30, 40, 50].entries()) {
		ring.push(1000 + index, value);
	}

	const series = ring.series();
	t.deepEqual(series.values, [30, 40, 50]);
	t.deepEqual(series.times, [1002, 1003, 1004]);
	t.is(series.latest, 50);
	t.is(ring.size, 3);
	t.is(series.source, 'gokrazy-json');
});

test('missing values are gaps (null) and do not replace the latest value', t => {
	const ring = new MetricRing(4, 'gokrazy-html', 'bytes');
	ring.push(1, 5);
	ring.push(2, null);
	ring.push(3, Number.NaN);
	t.deepEqual(ring.series().values, [5, null, null]);
	t.is(ring.series().latest, 5);
});

test('a series is frozen and stays the same object until the next push', t => {
	const ring = new MetricRing(2, 'node-exporter', 'percent');
	ring.push(1, 1);
	const first = ring.series();
	t.is(ring.series(), first);
	t.true(Object.isFrozen(first.values));
	ring.push(2, 2);
	t.not(ring.series(), first);
	t.deepEqual(first.values, [1]);
});

test('capacity covers the history at the poll rate, at least two points', t => {
	// 150 intervals of 2 s make 5 minutes: 151 samples, the oldest 5 minutes old.
	t.is(ringCapacity(300_000, 2000), 151);
	t.is(ringCapacity(1000, 5000), 2);
	t.throws(() => new MetricRing(0, 'gokrazy-json', 'bytes'), {instanceOf: RangeError});
});
