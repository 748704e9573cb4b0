/** Minor units to a price in the currency's own format (LKR 2,500.00). */
export function money(minor: number | string, currency: string): string {
  const amount = Number(minor) / 100;
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
}
