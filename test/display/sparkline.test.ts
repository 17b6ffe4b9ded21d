// Sparklines against a figure's own range: a constant RSS is a flat line in the middle, not a row of full bars.
import test from 'ava';
import fc from 'fast-check';
import {ownRange, sparkline, tallSparkline} from '../../source/display/sparkline.js';

test('a constant is drawn flat in the middle; a moving figure uses the whole height', t => {
	const mib = 1024 * 1024;
	const constant = [42 * mib, 42 * mib, 42 * mib, 42 * mib];
	t.regex(sparkline(constant, {width: 4, ...ownRange(constant)}), /^[▄▅]{4}$/);
	const moving = [10, 20, 30, 40];
	const line = sparkline(moving, {width: 4, ...ownRange(moving)});
	t.is(line[0], '▁');
	t.is(line[3], '█');
	// Jitter of less than 2 % of the figure stays near the middle rather than filling the height.
	t.regex(sparkline([1000, 1001, 1000, 1002], {width: 4, ...ownRange([1000, 1001, 1000, 1002])}), /^[▃▄▅]{4}$/);
});

test('own-range charts are always as wide and as tall as asked, whatever the figures', t => {
	t.notThrows(() => fc.assert(fc.property(fc.array(fc.option(fc.double({noNaN: true, min: -1e12, max: 1e12}), {nil: null}), {maxLength: 50}), fc.integer({min: 1, max: 40}), fc.integer({min: 1, max: 6}), (values, width, height) => {
		const range = ownRange(values);
		const rows = tallSparkline(values, {width, height, ...range});
		return rows.length === height && rows.every(row => [...row].length === width) && (range === undefined || (range.min <= range.low && range.max >= range.high));
	})));
});
