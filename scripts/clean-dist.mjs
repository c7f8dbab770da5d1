// Every build starts from an empty dist/: a module renamed or deleted in src/ must not linger in the
// published package, nor a source map from an older build configuration.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
