// Renders the admin's Twig views with autoescape on; HTML fragments from other controllers are passed through `|raw`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Twig from 'twig';

type CompiledTemplate = ReturnType<typeof Twig.twig>;

export class TemplateRenderer {
  private readonly compiled = new Map<string, CompiledTemplate>();

  constructor(private readonly directory: string) {}

  /** `name` is OpenCart's view name, e.g. `tool/backup` for `view/template/tool/backup.twig`. */
  render(name: string, data: Record<string, unknown>): string {
    let template = this.compiled.get(name);
    if (!template) {
      const file = path.join(this.directory, name + '.twig');
      template = Twig.twig({ data: readFileSync(file, 'utf8'), autoescape: true, rethrow: true });
      this.compiled.set(name, template);
    }
    return template.render(data);
  }
}
