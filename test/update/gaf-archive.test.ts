// Reading gaf archives and SBOMs: what a demo archive holds, every way an archive can be bad, and properties over arbitrary bytes.
import {createHash} from 'node:crypto';
import {createWriteStream} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import yazl from 'yazl';
import {GafArchive, GafError, inspectGaf} from '../../source/core/update/gaf-archive.js';
import {diffSbom, parseSbom} from '../../source/core/update/sbom.js';
import {demoSbom, sbomJson, writeDemoArchive} from '../../source/demo/demo-build.js';
import {goArch} from '../../source/demo/go-format.js';
import {tempDir} from './update-helpers.js';

async function demoArchive(dir: string, rootBytes?: number): Promise<string> {
	const file = path.join(dir, 'next.gaf');
	await writeDemoArchive({file, hostname: 'casa', diskId: '2e18c40c', rootBytes, build: {buildTimestamp: '2031-01-02T03:04:05Z', arch: goArch(), services: [{path: '/user/golink'}, {path: '/user/hello', program: 'hello'}]}});
	return file;
}

async function zipOf(file: string, entries: Record<string, Buffer>): Promise<string> {
	const zip = new yazl.ZipFile();
	for (const [name, bytes] of Object.entries(entries)) {
		zip.addBuffer(bytes, name, {compress: false});
	}

	zip.end();
	await new Promise<void>((resolve, reject) => {
		zip.outputStream.pipe(createWriteStream(file)).on('close', resolve).on('error', reject);
	});
	return file;
}

async function inspect(file: string) {
	const archive = await GafArchive.open(file);
	try {
		return await inspectGaf(archive);
	} finally {
		archive.close();
	}
}

test('a demo archive: parts and sizes, its SBOM and hash, a demo root for this architecture; parts stream byte-exact', async t => {
	const dir = await tempDir(t);
	const file = await demoArchive(dir, 3 * 1024 * 1024 + 17);
	const summary = await inspect(file);
	t.is(summary.root, 3 * 1024 * 1024 + 17);
	t.is(summary.boot, 64 * 1024);
	t.is(summary.mbr, 512);
	t.deepEqual(summary.deviceSpecific, []);
	t.is(summary.arch, goArch());
	t.like(summary.rootKind, {kind: 'demo', buildTimestamp: '2031-01-02T03:04:05Z'});
	const expected = demoSbom([{path: '/user/golink'}, {path: '/user/hello', program: 'hello'}], 'casa');
	t.is(summary.sbom?.hash, expected.sbom_hash);
	t.true(summary.sbom?.packages.has('github.com/gokrazy/hello'));
	const archive = await GafArchive.open(file);
	t.teardown(() => archive.close());
	const hash = createHash('sha256');
	let bytes = 0;
	for await (const chunk of await archive.stream('root.img')) {
		hash.update(chunk as Buffer);
		bytes += (chunk as Buffer).length;
	}

	t.is(bytes, summary.root);
	const zipBytes = await readFile(file);
	const start = zipBytes.indexOf(Buffer.from('KRAZY-TUI-DEMO-ROOT/1'));
	t.is(hash.digest('hex'), createHash('sha256').update(zipBytes.subarray(start, start + summary.root)).digest('hex'));
});

test('not a gaf: a text file, a cut archive, a zip without root.img, a missing file: one line naming the file and the cause', async t => {
	const dir = await tempDir(t);
	const text = path.join(dir, 'notes.txt');
	await writeFile(text, 'hello, not a zip\n');
	await t.throwsAsync(inspect(text), {instanceOf: GafError, message: new RegExp(`^${text}: not a gaf archive: not a zip file, or cut short`)});
	const whole = await readFile(await demoArchive(dir));
	const cut = path.join(dir, 'cut.gaf');
	await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
	await t.throwsAsync(inspect(cut), {instanceOf: GafError, message: /cut\.gaf: not a gaf archive: not a zip file, or cut short/});
	const noRoot = await zipOf(path.join(dir, 'noroot.gaf'), {'boot.img': Buffer.alloc(10), 'mbr.img': Buffer.alloc(512)});
	await t.throwsAsync(inspect(noRoot), {instanceOf: GafError, message: /noroot\.gaf: not a gaf archive: no root\.img inside \(it holds boot\.img, mbr\.img\)/});
	const notSquash = await zipOf(path.join(dir, 'junk.gaf'), {'boot.img': Buffer.alloc(10), 'root.img': Buffer.from('ELF junk')});
	await t.throwsAsync(inspect(notSquash), {instanceOf: GafError, message: /root\.img is not a root file system/});
	const badSbom = await zipOf(path.join(dir, 'badsbom.gaf'), {'boot.img': Buffer.alloc(10), 'root.img': Buffer.from('hsqs....'), 'sbom.json': Buffer.from('{"sbom_hash": 5}')});
	await t.throwsAsync(inspect(badSbom), {instanceOf: GafError, message: /sbom\.json: no sbom_hash/});
	await t.throwsAsync(inspect(path.join(dir, 'absent.gaf')), {instanceOf: GafError, message: /absent\.gaf: cannot read the archive \(ENOENT\)/});
});

test('a squashfs root with a real-looking SBOM: the architecture comes from the kernel package', async t => {
	const dir = await tempDir(t);
	const sbom = {sbom_hash: 'a'.repeat(64), sbom: {config_hash: {path: '/x/config.json', hash: 'b'}, go_mod_hashes: [
		{path: '/home/u/gokrazy/casa/builddir/github.com/gokrazy/kernel.amd64/go.mod', hash: 'k'},
		{path: '/home/u/gokrazy/casa/builddir/github.com/gokrazy/hello/go.mod', hash: 'h'},
	], extra_file_hashes: []}};
	const file = await zipOf(path.join(dir, 'pc.gaf'), {'boot.img': Buffer.alloc(512), 'mbr.img': Buffer.alloc(512), 'root.img': Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4092)]), 'sbom.json': Buffer.from(JSON.stringify(sbom))});
	const summary = await inspect(file);
	t.deepEqual(summary.rootKind, {kind: 'squashfs'});
	t.is(summary.arch, 'amd64');
	t.deepEqual([...summary.sbom!.packages.keys()].sort(), ['github.com/gokrazy/hello', 'github.com/gokrazy/kernel.amd64']);
});

test('SBOM diff: packages added, removed, and changed (another go.mod)', t => {
	const before = parseSbom(sbomJson(demoSbom([{path: '/user/golink'}, {path: '/user/chatty'}], 'casa')));
	const after = parseSbom(sbomJson(demoSbom([{path: '/user/golink', program: 'crashloop'}, {path: '/user/hello', program: 'hello'}], 'casa')));
	t.deepEqual(diffSbom(before, after), {
		added: ['github.com/gokrazy/hello'],
		removed: ['example.com/krazy-demo/chatty'],
		changed: ['github.com/tailscale/golink/cmd/golink'],
	});
});

test('property: any text given as sbom.json parses or throws an Error, never anything else', t => {
	fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map(value => JSON.stringify({sbom_hash: 'c'.repeat(64), sbom: value}))), text => {
		try {
			const sbom = parseSbom(text);
			return /^[0-9a-f]{64}$/.test(sbom.hash);
		} catch (error) {
			return error instanceof Error && error.message.length < 200;
		}
	}), {numRuns: 500});
	t.pass();
});

test('property: arbitrary bytes, or a real archive with bytes changed, open as a gaf or fail with a GafError naming the file', async t => {
	const dir = await tempDir(t);
	const real = await readFile(await demoArchive(dir));
	const file = path.join(dir, 'fuzz.gaf');
	await fc.assert(fc.asyncProperty(
		fc.oneof(
			fc.uint8Array({maxLength: 4096}).map(bytes => Buffer.from(bytes)),
			fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}).map(changes => {
				const copy = Buffer.from(real);
				for (const [at, value] of changes) {
					copy[at] = value;
				}

				return copy;
			}),
			fc.nat(real.length).map(length => real.subarray(0, length)),
		),
		async bytes => {
			await writeFile(file, bytes);
			try {
				const summary = await inspect(file);
				return summary.root > 0;
			} catch (error) {
				return error instanceof GafError && error.message.startsWith(file) && !error.message.includes('\n');
			}
		},
	), {numRuns: 150});
	t.pass();
});
