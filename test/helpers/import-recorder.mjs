// Preloaded with --import: records every module specifier the process resolves into $KRAZY_IMPORT_LOG, so tests can prove
// that scripted commands never load React, Ink or blessed.
import {register} from 'node:module';

register('./import-recorder-hooks.mjs', import.meta.url, {data: {log: process.env.KRAZY_IMPORT_LOG}});
