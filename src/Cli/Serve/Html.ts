/**
 * HTML built so that stored text can only ever be text: `html` escapes every value it is given
 * unless the value is itself `Html` (made by `html`), so a message holding `<script>` or
 * `"><img onerror=…>` shows those characters and runs nothing.
 *
 * @since 0.1.0
 */

/** Markup that is safe to send: made by `html`, from escaped values. */
export interface Html {
  readonly _tag: "Html"
  readonly markup: string
}

/** What `html` takes between its literal parts; arrays are joined, absent values omitted. */
export type HtmlValue = Html | string | number | null | undefined | false | ReadonlyArray<HtmlValue>

const replacements: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\"": "&quot;",
  "'": "&#39;"
}

/**
 * Text as HTML text or a quoted attribute value.
 *
 * @since 0.1.0
 */
export const escape = (text: string): string => text.replace(/[&<>"']/g, (character) => replacements[character]!)

const isHtml = (value: unknown): value is Html =>
  typeof value === "object" && value !== null && (value as Html)._tag === "Html"

const render = (value: HtmlValue): string =>
  value === null || value === undefined || value === false
    ? ""
    : isHtml(value)
    ? value.markup
    : Array.isArray(value)
    ? value.map(render).join("")
    : escape(String(value))

/**
 * A template of markup whose every value is escaped (but `Html`).
 *
 * @since 0.1.0
 */
export const html = (literals: TemplateStringsArray, ...values: ReadonlyArray<HtmlValue>): Html => {
  let markup = literals[0]!
  for (let i = 0; i < values.length; i++) markup += render(values[i]!) + literals[i + 1]!
  return { _tag: "Html", markup }
}

/**
 * A link target made of stored text: only http and https URLs; anything else (`javascript:`,
 * `data:`) gives `undefined`, and the caller shows the text without a link.
 *
 * @since 0.1.0
 */
export const webUrl = (text: string | null): string | undefined => {
  if (text === null) return undefined
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined
  } catch {
    return undefined
  }
}
