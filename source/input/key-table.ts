// Key tables of one shape for every screen: the dashboard, the flashing wizard and the wall are each a table of it.
// Input handling, help, hint lines and the README's key lists all come from the tables (gemini-cli's keyBindings model).
//
//   const table = keyTable(bindings, {sections: [{title: 'Everywhere', contexts: ['global']}, …]});
//   table.match(['services', 'list', 'global'], input, key, {readonly});  // → 'restart'
//   table.helpSections({readonly}); table.markdown(); table.hints(['help', 'quit']);
//
// No renderer here: Ink's `Key` fits `KeyEvent`, and the wall binds the blessed names `blessedKeyNames` gives.

export type NamedKey =
	| 'upArrow'
	| 'downArrow'
	| 'leftArrow'
	| 'rightArrow'
	| 'pageUp'
	| 'pageDown'
	| 'home'
	| 'end'
	| 'return'
	| 'escape'
	| 'tab'
	| 'backspace'
	| 'delete';

/** A key press as a renderer reports it: printable `input`, or a named key, with modifiers. Ink's `Key` fits. */
export type KeyEvent = {readonly [Name in NamedKey | 'ctrl' | 'meta' | 'shift']: boolean};

/** A key: a printable `input`, or a named key, optionally with Ctrl. */
export type KeySpec = {readonly input?: string; readonly key?: NamedKey; readonly ctrl?: boolean};

export type KeyBinding<Intent extends string, Context extends string> = {
	readonly intent: Intent;
	readonly keys: readonly KeySpec[];
	readonly contexts: readonly Context[];
	readonly description: string;
	/** Changes a device or a service: hidden (and ignored) with --readonly; asks before it acts. */
	readonly action?: boolean;
	/** How the keys read in a hint line when not their labels joined ('↑↓'); '' leaves the binding out of hints. */
	readonly hint?: string;
	/** What the key does in particular contexts, when not `description`. */
	readonly inContext?: Partial<Record<Context, string>>;
	/** Hint lines say this instead of the description ("power off" for "power the device off …"). */
	readonly short?: string;
};

export type HelpSection = {title: string; rows: Array<{keys: string; description: string}>};

export type KeyTableLayout<Context extends string> = {
	/** The help's sections in order: the bindings of any of `contexts` not listed in an earlier section. */
	readonly sections: ReadonlyArray<{readonly title: string; readonly contexts: readonly Context[]; readonly sayAlso?: boolean}>;
	/** Contexts never named in "(also in …)" (the help overlay itself). */
	readonly quiet?: readonly Context[];
};

export type KeyTable<Intent extends string, Context extends string> = {
	readonly bindings: ReadonlyArray<KeyBinding<Intent, Context>>;
	/** The intent of a key in the given contexts (searched in order); action intents never match with `readonly`. */
	match(contexts: readonly Context[], input: string, key: KeyEvent, options?: {readonly?: boolean}): Intent | undefined;
	/** The help, grouped by context; a binding shared by several contexts is listed under the first. */
	helpSections(options?: {readonly?: boolean}): HelpSection[];
	/** A markdown table per section (the README's key lists). */
	markdown(options?: {readonly?: boolean}): string;
	/** `r restart · s stop`: hints for these intents, by their first key. */
	hints(intents: readonly Intent[], options?: {readonly?: boolean}): string;
	/** `↑↓ move · Enter continue`: the hint line of one context, without the intents in `except`. */
	contextHints(context: Context, except?: readonly Intent[]): string;
};

const namedKeyLabel: Readonly<Record<NamedKey, string>> = {
	upArrow: '↑',
	downArrow: '↓',
	leftArrow: '←',
	rightArrow: '→',
	pageUp: 'PgUp',
	pageDown: 'PgDn',
	home: 'Home',
	end: 'End',
	return: 'Enter',
	escape: 'Esc',
	tab: 'Tab',
	backspace: 'Backspace',
	delete: 'Delete',
};

/** `K`, `Ctrl+C`, `↑`, `Space`: how a key looks in help. */
export function keyLabel(spec: KeySpec): string {
	const base = spec.key ? namedKeyLabel[spec.key] : spec.input === ' ' ? 'Space' : (spec.input ?? '');
	return spec.ctrl ? `Ctrl+${base.toUpperCase()}` : base;
}

const blessedNames: Readonly<Record<NamedKey, string>> = {
	upArrow: 'up',
	downArrow: 'down',
	leftArrow: 'left',
	rightArrow: 'right',
	pageUp: 'pageup',
	pageDown: 'pagedown',
	home: 'home',
	end: 'end',
	return: 'enter',
	escape: 'escape',
	tab: 'tab',
	backspace: 'backspace',
	delete: 'delete',
};

/** The name blessed gives the key (`C-c`, `space`, `pageup`), for `screen.key(...)`. */
export function blessedKeyName(spec: KeySpec): string {
	const base = spec.key ? blessedNames[spec.key] : spec.input === ' ' ? 'space' : (spec.input ?? '');
	return spec.ctrl ? `C-${base}` : base;
}

export function specMatches(spec: KeySpec, input: string, key: KeyEvent): boolean {
	if (Boolean(spec.ctrl) !== key.ctrl) {
		return false;
	}

	if (spec.key) {
		return key[spec.key];
	}

	// Named keys also arrive with some `input`; only plain keys count as printable input.
	return !key.return && !key.escape && !key.tab && input === spec.input;
}

export function keyTable<Intent extends string, Context extends string>(
	bindings: ReadonlyArray<KeyBinding<Intent, Context>>,
	layout: KeyTableLayout<Context>,
): KeyTable<Intent, Context> {
	const allowed = (binding: KeyBinding<Intent, Context>, readonly?: boolean) => !(readonly && binding.action);
	const helpSections = (options: {readonly?: boolean} = {}): HelpSection[] => {
		const result: HelpSection[] = [];
		const listed = new Set<KeyBinding<Intent, Context>>();
		for (const section of layout.sections) {
			const rows: HelpSection['rows'] = [];
			for (const binding of bindings) {
				if (listed.has(binding) || !binding.contexts.some(context => section.contexts.includes(context)) || !allowed(binding, options.readonly)) {
					continue;
				}

				listed.add(binding);
				// A binding for several contexts is shown once, under the first; the others are named in words.
				const also = section.sayAlso === false
					? []
					: binding.contexts.filter(other => !section.contexts.includes(other) && !layout.quiet?.includes(other));
				const where = also.length > 0 ? ` (also in ${also.join(', ')})` : '';
				rows.push({keys: binding.keys.map(spec => keyLabel(spec)).join(' '), description: binding.description + where});
			}

			if (rows.length > 0) {
				result.push({title: section.title, rows});
			}
		}

		return result;
	};

	return {
		bindings,
		match(contexts, input, key, options = {}) {
			for (const context of contexts) {
				for (const binding of bindings) {
					if (binding.contexts.includes(context) && allowed(binding, options.readonly) && binding.keys.some(spec => specMatches(spec, input, key))) {
						return binding.intent;
					}
				}
			}

			return undefined;
		},
		helpSections,
		markdown(options = {}) {
			const escape = (text: string) => text.replaceAll('|', '\\|');
			return helpSections(options)
				.map(section => [
					`**${section.title}**`,
					'',
					'| Key | What it does |',
					'| --- | --- |',
					...section.rows.map(row => `| ${row.keys.split(' ').map(key => `\`${escape(key)}\``).join(' ')} | ${escape(row.description)} |`),
				].join('\n'))
				.join('\n\n') + '\n';
		},
		hints(intents, options = {}) {
			const hints: string[] = [];
			for (const intent of intents) {
				const binding = bindings.find(candidate => candidate.intent === intent);
				if (binding && allowed(binding, options.readonly)) {
					hints.push(`${keyLabel(binding.keys[0])} ${binding.short ?? binding.description}`);
				}
			}

			return hints.join(' · ');
		},
		contextHints(context, except = []) {
			return bindings
				.filter(binding => binding.contexts.includes(context) && binding.hint !== '' && !except.includes(binding.intent))
				.map(binding => `${binding.hint ?? binding.keys.map(spec => keyLabel(spec)).join('/')} ${binding.inContext?.[context] ?? binding.short ?? binding.description}`)
				.join(' · ');
		},
	};
}
