/** `1 file`, `2 files`; `many` for words that do not just take an s (`1 directory`, `3 directories`). */
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
