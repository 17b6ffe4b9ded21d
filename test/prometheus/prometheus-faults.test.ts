// Prometheus unreachable, slow, erroring, partial or huge: hostile stand-ins for the server; every failure names it and status keeps working.
import type http from 'node:http';
import test, {type ExecutionContext} from 'ava';
import fc from 'fast-check';
import {DeviceError} from '../../source/core/device-error.js';
import {deviceHistory} from '../../source/core/prometheus/history.js';
import {readFleetView} from '../../source/core/prometheus/fleet-view.js';
import {PrometheusClient} from '../../source/core/prometheus/prometheus-client.js';
import {closedPort, startHttpServer, startTcpServer} from '../helpers/bad-servers.js';
import {runCli} from '../helpers/cli.js';
import {useDemoDevice} from '../helpers/demo-device.js';

function json(response: http.ServerResponse, status: number, body: unknown): void {
	response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body));
}

const success = (data: unknown, warnings?: string[]) => ({status: 'success', data, ...(warnings ? {warnings} : {})});

function useClient(t: ExecutionContext, url: string, options?: ConstructorParameters<typeof PrometheusClient>[1]): PrometheusClient {
	const client = new PrometheusClient(url, options);
	t.teardown(() => {
		client.close();
	});
	return client;
}

test('unreachable: one error naming the server, and status still shows the devices it asked directly', async t => {
	const demo = await useDemoDevice(t, {hostname: 'casa'});
	const port = await closedPort();
	const result = await runCli(['status', demo.url, '--prometheus', `http://user:s3cret@127.0.0.1:${port}`, '--json']);
	t.is(result.code, 1, 'Prometheus was asked for and not read: a failure');
	t.is(result.stderr, `prometheus 127.0.0.1:${port}: not reachable (connection refused)\n`);
	const document = JSON.parse(result.stdout) as {devices: Array<{online: boolean; alerts: unknown[]}>; prometheus: {url: string; error: string; answered: boolean}};
	t.true(document.devices[0]!.online, 'direct polls work without Prometheus');
	t.deepEqual(document.devices[0]!.alerts, []);
	t.is(document.prometheus.url, `http://127.0.0.1:${port}`, 'the credentials are not shown');
	t.false(document.prometheus.answered);
	t.false(result.stdout.includes('s3cret') || result.stderr.includes('s3cret'));

	const human = await runCli(['status', demo.url, '--prometheus', `http://127.0.0.1:${port}`]);
	t.is(human.code, 1);
	t.regex(human.stdout, / online {2}casa · /);
	t.regex(human.stdout, new RegExp(`^prometheus http://127\\.0\\.0\\.1:${port}: not read$`, 'm'));
});

test('slow: a server that accepts and never answers (or drips) times out with the server named', async t => {
	const silent = await startTcpServer(t);
	const client = useClient(t, silent.url, {timeoutMs: 500});
	const started = Date.now();
	const error = await t.throwsAsync(client.alerts(), {instanceOf: DeviceError});
	t.is(error.message, `prometheus 127.0.0.1:${silent.port}: no answer within 0.5 s`);
	t.true(Date.now() - started < 5000);

	const drip = await startHttpServer(t, (_request, response) => {
		response.writeHead(200, {'content-type': 'application/json'});
		const timer = setInterval(() => response.write(' '), 50);
		response.on('close', () => clearInterval(timer));
	});
	const dripping = useClient(t, drip.url, {timeoutMs: 500});
	await t.throwsAsync(dripping.query('up'), {message: /no answer within 0\.5 s$/});

	const result = await runCli(['status', '--prometheus', silent.url, '--timeout', '0.5', '--json'], {env: {KRAZY_TUI_CONFIG_DIR: '/nonexistent-krazy'}});
	t.is(result.code, 1);
	t.is(result.stderr, `prometheus 127.0.0.1:${silent.port}: no answer within 0.5 s\n`, 'no devices known is fine when Prometheus is asked');
});

test('errors: Prometheus\'s error envelope, a proxy\'s HTML, a 401 and JSON of another API each say what happened', async t => {
	const server = await startHttpServer(t, (request, response) => {
		const path = request.url!.split('?')[0];
		if (request.url!.startsWith('/unavailable')) {
			json(response, 503, {status: 'error', errorType: 'unavailable', error: 'TSDB not ready\nsecond line'});
		} else if (request.url!.startsWith('/proxy')) {
			response.writeHead(502, {'content-type': 'text/html'}).end('<html>Bad Gateway</html>');
		} else if (request.url!.startsWith('/locked')) {
			response.writeHead(401, {'www-authenticate': 'Basic'}).end('Unauthorized');
		} else {
			json(response, 200, {hello: 'world', path});
		}
	});
	await t.throwsAsync(useClient(t, `${server.url}/unavailable`).alerts(), {message: `prometheus 127.0.0.1:${server.port}: unavailable: TSDB not ready`});
	await t.throwsAsync(useClient(t, `${server.url}/proxy`).targets(), {message: /: answered 502 with something that is not Prometheus's API \(no JSON\)$/});
	const locked = await t.throwsAsync<DeviceError>(useClient(t, `${server.url}/locked`).alerts());
	t.is(locked.kind, 'auth');
	await t.throwsAsync(useClient(t, `${server.url}/other`).query('up'), {message: /: answered 200 with JSON that is not Prometheus's API$/});
});

test('partial data: Prometheus\'s warnings reach status on stderr, what did answer is used', async t => {
	const server = await startHttpServer(t, (request, response) => {
		const path = request.url!.split('?')[0];
		if (path === '/api/v1/alerts') {
			json(response, 200, success({alerts: [{labels: {alertname: 'GokrazyDeviceDown', device: 'far', severity: 'critical'}, annotations: {summary: 'far is down'}, state: 'firing', activeAt: '2025-01-01T00:00:00Z', value: '0'}]}, ['remote read from site B timed out']));
		} else if (path === '/api/v1/targets') {
			json(response, 503, {status: 'error', errorType: 'unavailable', error: 'scrape manager stopping'});
		} else if (path === '/api/v1/query') {
			const query = new URL(request.url!, 'http://x').searchParams.get('query');
			json(response, 200, success({resultType: 'vector', result: query === 'gokrazy_device_info'
				? [{metric: {device: 'far', url: 'http://10.9.9.9', hostname: 'far', instance: 'exp:9827'}, value: [1, '1']}]
				: [{metric: {device: 'far', instance: 'exp:9827'}, value: [1, '0']}]}));
		} else {
			response.writeHead(404).end();
		}
	});
	const result = await runCli(['status', '--prometheus', server.url, '--json'], {env: {KRAZY_TUI_CONFIG_DIR: '/nonexistent-krazy'}});
	t.is(result.code, 1, 'the targets part failed');
	t.is(result.stderr, [
		`prometheus 127.0.0.1:${server.port}: partial data: remote read from site B timed out`,
		`prometheus 127.0.0.1:${server.port}: unavailable: scrape manager stopping`,
		'',
	].join('\n'));
	const document = JSON.parse(result.stdout) as {prometheus: {firing: number; discovered: Array<{name: string; up: boolean; alerts: Array<{name: string}>}>}};
	t.is(document.prometheus.firing, 1);
	t.like(document.prometheus.discovered[0], {name: 'far', up: false});
	t.deepEqual(document.prometheus.discovered[0]!.alerts.map(alert => alert.name), ['GokrazyDeviceDown']);
});

test('huge answers are bounded: series beyond the budget are dropped and counted, points beyond the step are cut, a body past the limit is refused', async t => {
	let mode = 'many-series';
	const server = await startHttpServer(t, (request, response) => {
		if (mode === 'many-series') {
			const result = Array.from({length: 2000}, (_, index) => ({metric: {device: 'd', service: `/user/s${index}`}, values: [[1, '1']]}));
			json(response, 200, success({resultType: 'matrix', result}));
		} else if (mode === 'many-points') {
			const values = Array.from({length: 100_000}, (_, index) => [index, String(index)]);
			json(response, 200, success({resultType: 'matrix', result: [{metric: {device: 'd'}, values}]}));
		} else {
			response.writeHead(200, {'content-type': 'application/json'});
			const chunk = Buffer.alloc(1024 * 1024, 0x20);
			let sent = 0;
			const pump = () => {
				while (sent < 40 && response.write(chunk)) {
					sent++;
				}

				if (sent < 40) {
					response.once('drain', pump);
				} else {
					response.end();
				}
			};

			response.on('error', () => undefined);
			pump();
		}
	});
	const client = useClient(t, server.url, {maxSeries: 100, maxPoints: 500, timeoutMs: 20_000});
	const history = await deviceHistory(client, {device: 'd', window: '24h'});
	t.is(history.serviceRss.size, 100);
	t.true(history.problems.some(problem => problem === `prometheus 127.0.0.1:${server.port}: 1900 series of serviceRss not shown`), history.problems.join('\n'));

	mode = 'many-points';
	const range = await client.queryRange('x', {startMs: 0, endMs: 3_600_000, stepMs: 1000});
	t.true(range.stepMs >= 3_600_000 / 499);
	t.true(range.series[0]!.values.length <= 3_600_000 / range.stepMs + 1, 'a server ignoring the step cannot make a series longer than the window holds');
	t.is(range.series[0]!.values.at(-1), 99_999, 'the newest points are the ones kept');

	mode = 'too-big';
	await t.throwsAsync(client.alerts(), {message: new RegExp(`^prometheus 127\\.0\\.0\\.1:${server.port}: answer larger than \\d+ MiB$`)});
});

test('a URL that is not one is a usage error naming it', t => {
	t.throws(() => new PrometheusClient('prometheus.lan:9090'), {message: /^prometheus prometheus\.lan:9090: not an http\(s\) URL/});
	t.throws(() => new PrometheusClient('nonsense'), {message: 'prometheus nonsense: not a URL (expected http[s]://host:port)'});
});

test('property: whatever JSON or bytes a server answers, the client resolves with typed data or rejects with an error naming the server', async t => {
	let body: Buffer = Buffer.alloc(0);
	let status = 200;
	const server = await startHttpServer(t, (_request, response) => {
		response.writeHead(status, {'content-type': 'application/json'}).end(body);
	});
	const client = useClient(t, server.url, {timeoutMs: 3000});
	const sample = fc.tuple(fc.oneof(fc.double(), fc.string(), fc.constant(null)), fc.oneof(fc.string(), fc.constantFrom('NaN', '+Inf', '1e308', '-0'), fc.integer()));
	const envelope = fc.oneof(
		fc.jsonValue(),
		fc.record({
			status: fc.constantFrom('success', 'error', 'other'),
			data: fc.oneof(
				fc.jsonValue(),
				fc.record({resultType: fc.constantFrom('vector', 'matrix', 'scalar'), result: fc.array(fc.record({metric: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), value: sample, values: fc.array(sample, {maxLength: 5})}), {maxLength: 5})}),
				fc.record({alerts: fc.array(fc.record({labels: fc.dictionary(fc.string(), fc.string()), state: fc.string(), annotations: fc.jsonValue()}), {maxLength: 5}), activeTargets: fc.array(fc.jsonValue(), {maxLength: 5})}),
			),
			warnings: fc.oneof(fc.array(fc.jsonValue(), {maxLength: 3}), fc.jsonValue()),
			error: fc.string(),
			errorType: fc.string(),
		}),
	);
	const payload = fc.oneof(envelope.map(value => Buffer.from(JSON.stringify(value))), fc.uint8Array({maxLength: 200}).map(bytes => Buffer.from(bytes)));
	await fc.assert(fc.asyncProperty(payload, fc.constantFrom(200, 400, 500), async (bytes, code) => {
		body = bytes;
		status = code;
		for (const call of [() => client.query('up'), () => client.queryRange('up', {startMs: 0, endMs: 60_000, stepMs: 1000}), () => client.alerts(), () => client.targets(), () => readFleetView(client)]) {
			try {
				const answer: unknown = await call();
				if (!(typeof answer === 'object' && answer !== null)) {
					return false;
				}
			} catch (error) {
				if (!(error instanceof DeviceError) || !error.message.startsWith(`prometheus 127.0.0.1:${server.port}: `) || error.message.includes('\n')) {
					return false;
				}
			}
		}

		return true;
	}), {numRuns: 150});
	t.pass();
});
