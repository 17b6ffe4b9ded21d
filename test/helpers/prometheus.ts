// Starts a real Prometheus server (Debian's `prometheus`) for a test: loopback port, generated config, own temp storage, stopped by pid.
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {freePort} from './node-exporter.js';

export const prometheusBinary = process.env.PROMETHEUS_BIN ?? 'prometheus';
export const promtoolBinary = process.env.PROMTOOL_BIN ?? 'promtool';

export type ScrapeJob = {
	job: string;
	/** host:port of each target. */
	targets: string[];
	metricsPath?: string;
	/** Target labels Prometheus adds to every series of this job. */
	labels?: Record<string, string>;
	/** Default: the server's scrape interval. */
	scrapeIntervalMs?: number;
};

export type PrometheusOptions = {
	jobs: ScrapeJob[];
	/** Rule files (YAML) Prometheus loads; alerts are evaluated every `evaluationIntervalMs`. */
	ruleFiles?: string[];
	/** Default 1 s: tests wait for data, and a short interval keeps that wait short. */
	scrapeIntervalMs?: number;
	evaluationIntervalMs?: number;
};

export type RunningPrometheus = {
	/** http://127.0.0.1:PORT, no trailing slash. */
	url: string;
	port: number;
	pid: number;
	dataDir: string;
	/** Everything it wrote on stderr lately (it logs there). */
	log(): string;
	/** The `data.result` of an instant query. */
	query(expr: string): Promise<PrometheusVector>;
	/** Polls an instant query until `accept` returns true for its result, or fails after `timeoutMs` naming the query. */
	waitFor(expr: string, accept: (result: PrometheusVector) => boolean, timeoutMs: number): Promise<PrometheusVector>;
	stop(): Promise<void>;
};

export type PrometheusVector = Array<{metric: Record<string, string>; value: [number, string]}>;

const duration = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;

/** The YAML of a config; JSON is YAML, so no YAML writer is needed. */
export function prometheusConfig(options: PrometheusOptions): string {
	const scrapeInterval = options.scrapeIntervalMs ?? 1000;
	return JSON.stringify({
		global: {
			scrape_interval: duration(scrapeInterval),
			scrape_timeout: duration(Math.min(scrapeInterval, 10_000)),
			evaluation_interval: duration(options.evaluationIntervalMs ?? 1000),
		},
		rule_files: options.ruleFiles ?? [],
		scrape_configs: options.jobs.map(job => ({
			job_name: job.job,
			metrics_path: job.metricsPath ?? '/metrics',
			...(job.scrapeIntervalMs === undefined
				? {}
				: {scrape_interval: duration(job.scrapeIntervalMs), scrape_timeout: duration(Math.min(job.scrapeIntervalMs, 10_000))}),
			static_configs: [{targets: job.targets, labels: job.labels ?? {}}],
		})),
	}, null, 2);
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
	const dataDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-prometheus-'));
	const configFile = path.join(dataDir, 'prometheus.yml');
	await writeFile(configFile, prometheusConfig(options));
	const port = await freePort();
	const child: ChildProcess = spawn(prometheusBinary, [
		`--config.file=${configFile}`,
		`--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
		`--web.listen-address=127.0.0.1:${port}`,
		'--log.level=warn',
	], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString('utf8')).slice(-8000);
	});
	const exited = new Promise<void>(resolve => {
		child.once('exit', () => {
			resolve();
		});
	});
	const url = `http://127.0.0.1:${port}`;
	const cleanup = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			process.kill(child.pid!, 'SIGTERM');
		}

		await exited;
		await rm(dataDir, {recursive: true, force: true});
	};

	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) {
			await cleanup();
			throw new Error(`${prometheusBinary} exited: ${stderr}`);
		}

		try {
			const response = await fetch(`${url}/-/ready`, {signal: AbortSignal.timeout(1000)});
			await response.text();
			if (response.ok) {
				break;
			}
		} catch {
			// Not listening yet.
		}

		if (Date.now() > deadline) {
			await cleanup();
			throw new Error(`${prometheusBinary} was not ready on ${url} within 30 s: ${stderr}`);
		}

		await new Promise(resolve => setTimeout(resolve, 100));
	}

	const query = async (expr: string): Promise<PrometheusVector> => {
		const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, {signal: AbortSignal.timeout(5000)});
		const body = await response.json() as {status: string; error?: string; data?: {resultType: string; result: PrometheusVector}};
		if (body.status !== 'success' || body.data?.resultType !== 'vector') {
			throw new Error(`query ${expr} failed: ${body.error ?? JSON.stringify(body)}`);
		}

		return body.data.result;
	};

	return {
		url,
		port,
		pid: child.pid!,
		dataDir,
		log: () => stderr,
		query,
		async waitFor(expr, accept, timeoutMs) {
			const until = Date.now() + timeoutMs;
			let last: PrometheusVector = [];
			for (;;) {
				last = await query(expr);
				if (accept(last)) {
					return last;
				}

				if (Date.now() > until) {
					throw new Error(`${expr}: not as expected within ${timeoutMs} ms; last result ${JSON.stringify(last).slice(0, 2000)}`);
				}

				await new Promise(resolve => setTimeout(resolve, 250));
			}
		},
		stop: cleanup,
	};
}

/** A Prometheus server stopped (and its storage removed) when the test ends. */
export async function usePrometheus(t: ExecutionContext, options: PrometheusOptions): Promise<RunningPrometheus> {
	const server = await startPrometheus(options);
	t.teardown(() => server.stop());
	return server;
}

/** host:port of a URL, as a static_configs target. */
export function hostPort(url: string): string {
	return new URL(url).host;
}
