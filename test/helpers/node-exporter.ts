// Starts a real prometheus-node-exporter on a free loopback port for a test, and stops it by pid.
import {spawn, type ChildProcess} from 'node:child_process';
import net from 'node:net';

export type RunningNodeExporter = {
	url: string;
	port: number;
	pid: number;
	stop(): Promise<void>;
};

export const nodeExporterBinary = process.env.NODE_EXPORTER_BIN ?? 'prometheus-node-exporter';

export async function freePort(host = '127.0.0.1'): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, host, () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') {
					resolve(address.port);
				} else {
					reject(new Error('no port'));
				}
			});
		});
	});
}

/**
 * The exporter with only the collectors the dashboard reads: cpu, meminfo, loadavg, netdev, filesystem; or, with
 * `collectorArgs`, only those flags after `--collector.disable-defaults` (e.g. netdev over a fake `--path.procfs`).
 */
export async function startNodeExporter(options: {host?: string; collectorArgs?: string[]} = {}): Promise<RunningNodeExporter> {
	// Another loopback address (127.0.0.2) gives the exporter a host of its own, as a device's would be.
	const host = options.host ?? '127.0.0.1';
	const port = await freePort(host);
	const child: ChildProcess = spawn(nodeExporterBinary, [
		`--web.listen-address=${host}:${port}`,
		'--collector.disable-defaults',
		...(options.collectorArgs ?? ['--collector.cpu', '--collector.meminfo', '--collector.loadavg', '--collector.netdev', '--collector.filesystem']),
	], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString('utf8')).slice(-4000);
	});
	const exited = new Promise<void>(resolve => {
		child.once('exit', () => {
			resolve();
		});
	});
	const url = `http://${host}:${port}/metrics`;
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${nodeExporterBinary} exited: ${stderr}`);
		}

		try {
			const response = await fetch(url, {signal: AbortSignal.timeout(1000)});
			await response.text();
			if (response.ok) {
				break;
			}
		} catch {
			// Not listening yet.
		}

		if (Date.now() > deadline) {
			process.kill(child.pid!, 'SIGKILL');
			throw new Error(`${nodeExporterBinary} did not answer on ${url} within 10 s: ${stderr}`);
		}

		await new Promise(resolve => setTimeout(resolve, 100));
	}

	return {
		url,
		port,
		pid: child.pid!,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				process.kill(child.pid!, 'SIGTERM');
			}

			await exited;
		},
	};
}
