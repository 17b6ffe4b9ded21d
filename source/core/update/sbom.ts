// gok's sbom.json (SBOMWithHash): its hash, the packages it names (one go.mod each under builddir/), and what changed between two of them.

export type Sbom = {
	/** SHA-256 hex: what the device reports as SBOMHash once it runs this build. */
	hash: string;
	/** Package path → hash of its go.mod (a changed hash is a changed version). */
	packages: Map<string, string>;
	/** GOARCH the kernel package implies, when the SBOM names a known one. */
	kernelArch: string | undefined;
};

export type SbomDiff = {added: string[]; removed: string[]; changed: string[]};

/** gok's builddir layout: <instance>/builddir/<package path>/go.mod. */
const builddirGoMod = /\/builddir\/(.+)\/go\.mod$/;
/** Kernel packages whose architecture is known from their name. */
const kernelArchs: Record<string, string> = {
	'github.com/gokrazy/kernel': 'arm64',
	'github.com/gokrazy/kernel.rpi': 'arm64',
	'github.com/gokrazy/kernel.arm64': 'arm64',
	'github.com/gokrazy/kernel.amd64': 'amd64',
	'github.com/rtr7/kernel': 'amd64',
};

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws an Error saying what is wrong; bounded work for any input (the caller bounds the text's size). */
export function parseSbom(text: string): Sbom {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new Error('not JSON');
	}

	if (!isObject(value) || typeof value.sbom_hash !== 'string' || !/^[0-9a-f]{64}$/.test(value.sbom_hash)) {
		throw new Error('no sbom_hash (a SHA-256 in hex) at the top level');
	}

	const packages = new Map<string, string>();
	const body = isObject(value.sbom) ? value.sbom : {};
	for (const entry of Array.isArray(body.go_mod_hashes) ? body.go_mod_hashes : []) {
		if (isObject(entry) && typeof entry.path === 'string') {
			const match = builddirGoMod.exec(entry.path.replaceAll('\\', '/'));
			if (match) {
				packages.set(match[1]!, typeof entry.hash === 'string' ? entry.hash : '');
			}
		}
	}

	// Newer or other writers may list packages directly.
	for (const entry of Array.isArray(body.go_packages) ? body.go_packages : []) {
		if (isObject(entry) && typeof entry.path === 'string' && !packages.has(entry.path)) {
			packages.set(entry.path, typeof entry.hash === 'string' ? entry.hash : typeof entry.version === 'string' ? entry.version : '');
		}
	}

	const kernel = [...packages.keys()].find(name => Object.hasOwn(kernelArchs, name));
	return {hash: value.sbom_hash, packages, kernelArch: kernel === undefined ? undefined : kernelArchs[kernel]};
}

/** Packages added, removed, and those whose go.mod changed, each sorted. */
export function diffSbom(before: Sbom, after: Sbom): SbomDiff {
	const added: string[] = [];
	const changed: string[] = [];
	for (const [name, hash] of after.packages) {
		const old = before.packages.get(name);
		if (old === undefined) {
			added.push(name);
		} else if (old !== hash) {
			changed.push(name);
		}
	}

	const removed = [...before.packages.keys()].filter(name => !after.packages.has(name));
	return {added: added.sort(), removed: removed.sort(), changed: changed.sort()};
}
