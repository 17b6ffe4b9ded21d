// The Go standard-library behaviour the demo device reproduces: quoting, base64 error offsets, ParseInt, times, escapers.
import test from 'ava';
import {
	formatLogPrefix,
	formatRfc3339Nano,
	formatUnixDate,
	goBase64Decode,
	goDurationString,
	goExitText,
	goFixed,
	goParseDuration,
	goParseInt32,
	goQueryEscape,
	goQuote,
	goQuoteList,
	templateHtmlEscape,
	templateJsStringEscape,
	templateUrlQueryEscape,
} from '../../source/demo/go-format.js';

test('goQuote escapes as strconv.Quote does', t => {
	t.is(goQuote('/user/golink'), '"/user/golink"');
	t.is(goQuote('a"b\\c'), '"a\\"b\\\\c"');
	t.is(goQuote('tab\there\r\n\x07\x1b'), '"tab\\there\\r\\n\\a\\x1b"');
	t.is(goQuote('héllo ✓'), '"héllo ✓"');
	t.is(goQuote('\u200b'), '"\\u200b"');
	t.is(goQuote(Buffer.from([0x61, 0xff, 0xfe, 0x62])), '"a\\xff\\xfeb"');
	t.is(goQuoteList(['/user/golink', '--sqlitedb=/perm/home/golink/data.db']), '["/user/golink" "--sqlitedb=/perm/home/golink/data.db"]');
});

test('goBase64Decode reports the offset Go reports', t => {
	const decoded = goBase64Decode(Buffer.from('gokrazy:pw').toString('base64'));
	t.true(decoded.ok && decoded.bytes.toString() === 'gokrazy:pw');
	const offsets: Array<[string, number]> = [
		['!!!!', 0],
		['Z', 0],
		['Zm9v!', 4],
		['Zm9vYmFy?', 8],
		['Zg=', 3],
		['Zg==x', 4],
		['Zm9=v', 4],
		['=', 0],
		['Zm 9v', 2],
	];
	for (const [input, offset] of offsets) {
		t.deepEqual(goBase64Decode(input), {ok: false, errorAt: offset}, input);
	}

	const withNewlines = goBase64Decode('Zm9v\r\nYmFy');
	t.true(withNewlines.ok && withNewlines.bytes.toString() === 'foobar');
});

test('goParseInt32 parses like strconv.ParseInt(s, 0, 32)', t => {
	const values: Array<[string, number]> = [
		['12345', 12_345],
		['0x10', 16],
		['0X1f', 31],
		['017', 15],
		['0o17', 15],
		['0b101', 5],
		['-2147483648', -2_147_483_648],
		['+7', 7],
		['1_000', 1000],
		['0', 0],
	];
	for (const [input, value] of values) {
		t.deepEqual(goParseInt32(input), {ok: true, value}, input);
	}

	t.deepEqual(goParseInt32('abc'), {ok: false, error: 'strconv.ParseInt: parsing "abc": invalid syntax'});
	t.deepEqual(goParseInt32(''), {ok: false, error: 'strconv.ParseInt: parsing "": invalid syntax'});
	t.deepEqual(goParseInt32('2147483648'), {ok: false, error: 'strconv.ParseInt: parsing "2147483648": value out of range'});
	for (const input of ['0x', '_1', '1__0', '08', '1.5', '-', ' 1']) {
		t.false(goParseInt32(input).ok, input);
	}
});

test('times are formatted as Go formats them', t => {
	const ns = BigInt(Date.UTC(2026, 10, 25, 18, 30, 52)) * 1_000_000n + 18_908_960n;
	t.is(formatRfc3339Nano(ns), '2026-11-25T18:30:52.01890896Z');
	t.is(formatRfc3339Nano(BigInt(Date.UTC(2026, 10, 25, 18, 30, 52)) * 1_000_000n), '2026-11-25T18:30:52Z');
	t.is(formatRfc3339Nano(ns, 60), '2026-11-25T19:30:52.01890896+01:00');
	t.is(formatRfc3339Nano(null), '0001-01-01T00:00:00Z');
	t.is(formatUnixDate(ns), 'Wed Nov 25 18:30:52 UTC 2026');
	t.is(formatUnixDate(BigInt(Date.UTC(2026, 10, 5, 8, 0, 0)) * 1_000_000n), 'Thu Nov  5 08:00:00 UTC 2026');
	t.is(formatUnixDate(null), 'Mon Jan  1 00:00:00 UTC 0001');
	t.is(formatLogPrefix(Date.UTC(2026, 10, 25, 18, 28, 34, 999)), '2026/11/25 18:28:34 ');
});

test('durations and numbers print as in Go', t => {
	t.is(goDurationString(0n), '0s');
	t.is(goDurationString(1_234_567n), '1.234567ms');
	t.is(goDurationString(1500n), '1.5µs');
	t.is(goDurationString(2_500_000_000n), '2.5s');
	t.is(goDurationString(90_000_000_000n), '1m30s');
	t.is(goDurationString(3_723_000_000_000n), '1h2m3s');
	t.deepEqual(goParseDuration('1.5s'), {ok: true, ns: 1_500_000_000});
	t.deepEqual(goParseDuration('100ms'), {ok: true, ns: 100_000_000});
	t.deepEqual(goParseDuration('abc'), {ok: false, error: 'time: invalid duration "abc"'});
	t.deepEqual(goParseDuration('5'), {ok: false, error: 'time: missing unit in duration "5"'});
	t.is(goFixed(1.25, 1), '1.2');
	t.is(goFixed(1.75, 1), '1.8');
	t.is(goFixed(24_105.6 + 0.04, 1), '24105.6');
	t.is(goFixed(2.5, 0), '2');
	t.is(goFixed(2.76, 0), '3');
	t.is(goExitText(1, null), 'exit status 1');
	t.is(goExitText(null, 'SIGTERM'), 'signal: terminated');
	t.is(goExitText(null, 'SIGKILL'), 'signal: killed');
});

test('escapers match net/url and html/template', t => {
	t.is(goQueryEscape('/user/golink'), '%2Fuser%2Fgolink');
	t.is(goQueryEscape('a b&c~d'), 'a+b%26c~d');
	t.is(templateUrlQueryEscape('/user/golink'), '%2fuser%2fgolink');
	t.is(templateHtmlEscape(`"a" & 'b' <c> +1`), '&#34;a&#34; &amp; &#39;b&#39; &lt;c&gt; &#43;1');
	t.is(templateJsStringEscape('/user/golink'), '\\/user\\/golink');
	t.is(templateJsStringEscape(`it's <b>`), 'it\\u0027s \\u003cb\\u003e');
});
