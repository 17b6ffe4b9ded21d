// Self-signed certificates made by openssl for the tests, like the one gok's UseTLS "self-signed" keeps per host.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type SelfSigned = {cert: string; key: string};

export function makeSelfSigned(hostname: string): SelfSigned {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'krazy-cert-'));
	try {
		execFileSync('openssl', [
			'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
			'-subj', `/CN=${hostname}`, '-addext', `subjectAltName=DNS:${hostname}`,
			'-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
		], {stdio: 'ignore'});
		return {cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: readFileSync(path.join(dir, 'key.pem'), 'utf8')};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}
