// Builds a deterministic OpenCart 4.0.2.x demo shop (schema + data) for developing, testing and benchmarking Backup & Restore.

import { createConnection, raw, type Connection, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import bcrypt from 'bcryptjs';

export interface DemoShopOptions {
  prefix: string;
  /** 1 = demo size (a few thousand rows in all); larger numbers multiply the big tables (products, customers, orders, order products, ...) roughly linearly */
  scale: number;
}

export interface DemoShopSummary {
  tables: number;
  rows: number;
}

type SqlValue = string | number | null | ReturnType<typeof raw>;
type Row = Record<string, SqlValue>;
type Seed = Map<string, Row[]>;

/** Keeps every multi-row INSERT well under MariaDB's default 16 MB max_allowed_packet. */
const MAX_STATEMENT_CHARS = 1_000_000;
/** Rows per INSERT ... SELECT when multiplying; big enough to amortise round trips, small enough for modest undo logs. */
const ROWS_PER_COPY_STATEMENT = 50_000;
const SEED = 0x0c4_2024;

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

/*
 * Column definitions follow OpenCart 4.0.2.x (install/opencart.sql / system/helper/db_schema.php).
 * One line per column or key; identifiers get backticked by tableDdl() because OpenCart uses
 * reserved words (`order`, `key`, `value`, `default`, `column`, `option`) as names.
 * OpenCart declares practically every column NOT NULL; a handful are relaxed to DEFAULT NULL
 * (marked "nullable:") because shops upgraded through extensions have such columns and a backup
 * tool must round-trip NULL distinctly from ''.
 */
const SCHEMA: Record<string, string> = {
  address: `
    address_id int(11) NOT NULL AUTO_INCREMENT
    customer_id int(11) NOT NULL
    firstname varchar(32) NOT NULL
    lastname varchar(32) NOT NULL
    company varchar(60) NOT NULL
    address_1 varchar(128) NOT NULL
    address_2 varchar(128) NOT NULL
    city varchar(128) NOT NULL
    postcode varchar(10) NOT NULL
    country_id int(11) NOT NULL DEFAULT 0
    zone_id int(11) NOT NULL DEFAULT 0
    custom_field text NOT NULL
    default tinyint(1) NOT NULL DEFAULT 0
    PRIMARY KEY (address_id)
    KEY customer_id (customer_id)`,
  address_format: `
    address_format_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(128) NOT NULL
    address_format text NOT NULL
    PRIMARY KEY (address_format_id)`,
  cart: `
    cart_id int(11) NOT NULL AUTO_INCREMENT
    api_id int(11) NOT NULL
    customer_id int(11) NOT NULL
    session_id varchar(32) NOT NULL
    product_id int(11) NOT NULL
    subscription_plan_id int(11) NOT NULL
    option text NOT NULL
    quantity int(5) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (cart_id)
    KEY cart_id (api_id, customer_id, session_id, product_id, subscription_plan_id)`,
  category: `
    category_id int(11) NOT NULL AUTO_INCREMENT
    image varchar(255) NOT NULL
    parent_id int(11) NOT NULL DEFAULT 0
    top tinyint(1) NOT NULL
    column int(3) NOT NULL
    sort_order int(3) NOT NULL DEFAULT 0
    status tinyint(1) NOT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (category_id)
    KEY parent_id (parent_id)`,
  category_description: `
    category_id int(11) NOT NULL
    language_id int(11) NOT NULL
    name varchar(255) NOT NULL
    description text NOT NULL
    meta_title varchar(255) NOT NULL
    meta_description varchar(255) NOT NULL
    meta_keyword varchar(255) NOT NULL
    PRIMARY KEY (category_id, language_id)
    KEY name (name)`,
  category_path: `
    category_id int(11) NOT NULL
    path_id int(11) NOT NULL
    level int(11) NOT NULL
    PRIMARY KEY (category_id, path_id)`,
  category_to_store: `
    category_id int(11) NOT NULL
    store_id int(11) NOT NULL DEFAULT 0
    PRIMARY KEY (category_id, store_id)`,
  country: `
    country_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(128) NOT NULL
    iso_code_2 varchar(2) NOT NULL
    iso_code_3 varchar(3) NOT NULL
    address_format_id int(11) NOT NULL
    postcode_required tinyint(1) NOT NULL
    status tinyint(1) NOT NULL DEFAULT 1
    PRIMARY KEY (country_id)`,
  coupon: `
    coupon_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(128) NOT NULL
    code varchar(20) NOT NULL
    type char(1) NOT NULL
    discount decimal(15,4) NOT NULL
    logged tinyint(1) NOT NULL
    shipping tinyint(1) NOT NULL
    total decimal(15,4) NOT NULL
    date_start date NOT NULL
    date_end date NOT NULL
    uses_total int(11) NOT NULL
    uses_customer int(11) NOT NULL
    status tinyint(1) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (coupon_id)`,
  coupon_history: `
    coupon_history_id int(11) NOT NULL AUTO_INCREMENT
    coupon_id int(11) NOT NULL
    order_id int(11) NOT NULL
    customer_id int(11) NOT NULL
    amount decimal(15,4) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (coupon_history_id)`,
  currency: `
    currency_id int(11) NOT NULL AUTO_INCREMENT
    title varchar(32) NOT NULL
    code varchar(3) NOT NULL
    symbol_left varchar(12) NOT NULL
    symbol_right varchar(12) NOT NULL
    decimal_place int(1) NOT NULL
    value double(15,8) NOT NULL
    status tinyint(1) NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (currency_id)`,
  customer: `
    customer_id int(11) NOT NULL AUTO_INCREMENT
    customer_group_id int(11) NOT NULL
    store_id int(11) NOT NULL DEFAULT 0
    language_id int(11) NOT NULL
    firstname varchar(32) NOT NULL
    lastname varchar(32) NOT NULL
    email varchar(96) NOT NULL
    telephone varchar(32) NOT NULL
    password varchar(255) NOT NULL
    custom_field text NOT NULL
    newsletter tinyint(1) NOT NULL DEFAULT 0
    ip varchar(40) NOT NULL
    status tinyint(1) NOT NULL
    safe tinyint(1) NOT NULL
    token text NOT NULL
    code varchar(40) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (customer_id)`,
  customer_activity: `
    customer_activity_id int(11) NOT NULL AUTO_INCREMENT
    customer_id int(11) NOT NULL
    key varchar(64) NOT NULL
    data text NOT NULL
    ip varchar(40) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (customer_activity_id)`,
  customer_group: `
    customer_group_id int(11) NOT NULL AUTO_INCREMENT
    approval int(1) NOT NULL
    sort_order int(3) NOT NULL
    PRIMARY KEY (customer_group_id)`,
  customer_group_description: `
    customer_group_id int(11) NOT NULL
    language_id int(11) NOT NULL
    name varchar(32) NOT NULL
    description text NOT NULL
    PRIMARY KEY (customer_group_id, language_id)`,
  customer_transaction: `
    customer_transaction_id int(11) NOT NULL AUTO_INCREMENT
    customer_id int(11) NOT NULL
    order_id int(11) NOT NULL
    description text NOT NULL
    amount decimal(15,4) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (customer_transaction_id)`,
  customer_wishlist: `
    customer_id int(11) NOT NULL
    product_id int(11) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (customer_id, product_id)`,
  geo_zone: `
    geo_zone_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(32) NOT NULL
    description varchar(255) NOT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (geo_zone_id)`,
  information: `
    information_id int(11) NOT NULL AUTO_INCREMENT
    bottom int(1) NOT NULL DEFAULT 0
    sort_order int(3) NOT NULL DEFAULT 0
    status tinyint(1) NOT NULL DEFAULT 1
    PRIMARY KEY (information_id)`,
  information_description: `
    information_id int(11) NOT NULL
    language_id int(11) NOT NULL
    title varchar(64) NOT NULL
    description mediumtext NOT NULL
    meta_title varchar(255) NOT NULL
    meta_description varchar(255) NOT NULL
    meta_keyword varchar(255) NOT NULL
    PRIMARY KEY (information_id, language_id)`,
  information_to_store: `
    information_id int(11) NOT NULL
    store_id int(11) NOT NULL
    PRIMARY KEY (information_id, store_id)`,
  language: `
    language_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(32) NOT NULL
    code varchar(5) NOT NULL
    locale varchar(255) NOT NULL
    extension varchar(255) NOT NULL
    sort_order int(3) NOT NULL DEFAULT 0
    status tinyint(1) NOT NULL
    PRIMARY KEY (language_id)
    KEY name (name)`,
  length_class: `
    length_class_id int(11) NOT NULL AUTO_INCREMENT
    value decimal(15,8) NOT NULL
    PRIMARY KEY (length_class_id)`,
  length_class_description: `
    length_class_id int(11) NOT NULL
    language_id int(11) NOT NULL
    title varchar(32) NOT NULL
    unit varchar(4) NOT NULL
    PRIMARY KEY (length_class_id, language_id)`,
  manufacturer: `
    manufacturer_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(64) NOT NULL
    image varchar(255) NOT NULL
    sort_order int(3) NOT NULL
    PRIMARY KEY (manufacturer_id)`,
  manufacturer_to_store: `
    manufacturer_id int(11) NOT NULL
    store_id int(11) NOT NULL
    PRIMARY KEY (manufacturer_id, store_id)`,
  // nullable: forwarded_ip (no proxy) and accept_language (header missing)
  order: `
    order_id int(11) NOT NULL AUTO_INCREMENT
    subscription_id int(11) NOT NULL
    invoice_no int(11) NOT NULL DEFAULT 0
    invoice_prefix varchar(26) NOT NULL
    transaction_id varchar(100) NOT NULL
    store_id int(11) NOT NULL DEFAULT 0
    store_name varchar(64) NOT NULL
    store_url varchar(255) NOT NULL
    customer_id int(11) NOT NULL DEFAULT 0
    customer_group_id int(11) NOT NULL DEFAULT 0
    firstname varchar(32) NOT NULL
    lastname varchar(32) NOT NULL
    email varchar(96) NOT NULL
    telephone varchar(32) NOT NULL
    custom_field text NOT NULL
    payment_address_id int(11) NOT NULL
    payment_firstname varchar(32) NOT NULL
    payment_lastname varchar(32) NOT NULL
    payment_company varchar(60) NOT NULL
    payment_address_1 varchar(128) NOT NULL
    payment_address_2 varchar(128) NOT NULL
    payment_city varchar(128) NOT NULL
    payment_postcode varchar(10) NOT NULL
    payment_country varchar(128) NOT NULL
    payment_country_id int(11) NOT NULL
    payment_zone varchar(128) NOT NULL
    payment_zone_id int(11) NOT NULL
    payment_address_format text NOT NULL
    payment_custom_field text NOT NULL
    payment_method text NOT NULL
    shipping_address_id int(11) NOT NULL
    shipping_firstname varchar(32) NOT NULL
    shipping_lastname varchar(32) NOT NULL
    shipping_company varchar(60) NOT NULL
    shipping_address_1 varchar(128) NOT NULL
    shipping_address_2 varchar(128) NOT NULL
    shipping_city varchar(128) NOT NULL
    shipping_postcode varchar(10) NOT NULL
    shipping_country varchar(128) NOT NULL
    shipping_country_id int(11) NOT NULL
    shipping_zone varchar(128) NOT NULL
    shipping_zone_id int(11) NOT NULL
    shipping_address_format text NOT NULL
    shipping_custom_field text NOT NULL
    shipping_method text NOT NULL
    comment text NOT NULL
    total decimal(15,4) NOT NULL DEFAULT 0.0000
    order_status_id int(11) NOT NULL DEFAULT 0
    affiliate_id int(11) NOT NULL
    commission decimal(15,4) NOT NULL
    marketing_id int(11) NOT NULL
    tracking varchar(64) NOT NULL
    language_id int(11) NOT NULL
    language_code varchar(5) NOT NULL
    currency_id int(11) NOT NULL
    currency_code varchar(3) NOT NULL
    currency_value decimal(15,8) NOT NULL DEFAULT 1.00000000
    ip varchar(40) NOT NULL
    forwarded_ip varchar(40) DEFAULT NULL
    user_agent varchar(255) NOT NULL
    accept_language varchar(255) DEFAULT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (order_id)`,
  order_history: `
    order_history_id int(11) NOT NULL AUTO_INCREMENT
    order_id int(11) NOT NULL
    order_status_id int(11) NOT NULL
    notify tinyint(1) NOT NULL DEFAULT 0
    comment text NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (order_history_id)`,
  order_product: `
    order_product_id int(11) NOT NULL AUTO_INCREMENT
    order_id int(11) NOT NULL
    product_id int(11) NOT NULL
    master_id int(11) NOT NULL
    name varchar(255) NOT NULL
    model varchar(64) NOT NULL
    quantity int(4) NOT NULL
    price decimal(15,4) NOT NULL DEFAULT 0.0000
    total decimal(15,4) NOT NULL DEFAULT 0.0000
    tax decimal(15,4) NOT NULL DEFAULT 0.0000
    reward int(8) NOT NULL
    PRIMARY KEY (order_product_id)
    KEY order_id (order_id)`,
  order_status: `
    order_status_id int(11) NOT NULL AUTO_INCREMENT
    language_id int(11) NOT NULL
    name varchar(32) NOT NULL
    PRIMARY KEY (order_status_id, language_id)`,
  order_total: `
    order_total_id int(10) NOT NULL AUTO_INCREMENT
    order_id int(11) NOT NULL
    extension varchar(255) NOT NULL
    code varchar(32) NOT NULL
    title varchar(255) NOT NULL
    value decimal(15,4) NOT NULL DEFAULT 0.0000
    sort_order int(3) NOT NULL
    PRIMARY KEY (order_total_id)
    KEY order_id (order_id)`,
  product: `
    product_id int(11) NOT NULL AUTO_INCREMENT
    master_id int(11) NOT NULL DEFAULT 0
    model varchar(64) NOT NULL
    sku varchar(64) NOT NULL
    upc varchar(12) NOT NULL
    ean varchar(14) NOT NULL
    jan varchar(13) NOT NULL
    isbn varchar(17) NOT NULL
    mpn varchar(64) NOT NULL
    location varchar(128) NOT NULL
    variant text NOT NULL
    override text NOT NULL
    quantity int(4) NOT NULL DEFAULT 0
    stock_status_id int(11) NOT NULL
    image varchar(255) NOT NULL
    manufacturer_id int(11) NOT NULL
    shipping tinyint(1) NOT NULL DEFAULT 1
    price decimal(15,4) NOT NULL DEFAULT 0.0000
    points int(8) NOT NULL DEFAULT 0
    tax_class_id int(11) NOT NULL
    date_available date NOT NULL
    weight decimal(15,8) NOT NULL DEFAULT 0.00000000
    weight_class_id int(11) NOT NULL DEFAULT 0
    length decimal(15,8) NOT NULL DEFAULT 0.00000000
    width decimal(15,8) NOT NULL DEFAULT 0.00000000
    height decimal(15,8) NOT NULL DEFAULT 0.00000000
    length_class_id int(11) NOT NULL DEFAULT 0
    subtract tinyint(1) NOT NULL DEFAULT 1
    minimum int(11) NOT NULL DEFAULT 1
    rating int(1) NOT NULL
    sort_order int(11) NOT NULL DEFAULT 0
    status tinyint(1) NOT NULL DEFAULT 0
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (product_id)`,
  product_description: `
    product_id int(11) NOT NULL
    language_id int(11) NOT NULL
    name varchar(255) NOT NULL
    description text NOT NULL
    tag text NOT NULL
    meta_title varchar(255) NOT NULL
    meta_description varchar(255) NOT NULL
    meta_keyword varchar(255) NOT NULL
    PRIMARY KEY (product_id, language_id)
    KEY name (name)`,
  // nullable: date_end (NULL = open-ended discount)
  product_discount: `
    product_discount_id int(11) NOT NULL AUTO_INCREMENT
    product_id int(11) NOT NULL
    customer_group_id int(11) NOT NULL
    quantity int(4) NOT NULL DEFAULT 0
    priority int(5) NOT NULL DEFAULT 1
    price decimal(15,4) NOT NULL DEFAULT 0.0000
    date_start date NOT NULL
    date_end date DEFAULT NULL
    PRIMARY KEY (product_discount_id)
    KEY product_id (product_id)`,
  product_image: `
    product_image_id int(11) NOT NULL AUTO_INCREMENT
    product_id int(11) NOT NULL
    image varchar(255) NOT NULL
    sort_order int(3) NOT NULL DEFAULT 0
    PRIMARY KEY (product_image_id)
    KEY product_id (product_id)`,
  product_related: `
    product_id int(11) NOT NULL
    related_id int(11) NOT NULL
    PRIMARY KEY (product_id, related_id)`,
  // nullable: date_end (NULL = special runs until further notice)
  product_special: `
    product_special_id int(11) NOT NULL AUTO_INCREMENT
    product_id int(11) NOT NULL
    customer_group_id int(11) NOT NULL
    priority int(5) NOT NULL DEFAULT 1
    price decimal(15,4) NOT NULL DEFAULT 0.0000
    date_start date NOT NULL
    date_end date DEFAULT NULL
    PRIMARY KEY (product_special_id)
    KEY product_id (product_id)`,
  product_to_category: `
    product_id int(11) NOT NULL
    category_id int(11) NOT NULL
    PRIMARY KEY (product_id, category_id)
    KEY category_id (category_id)`,
  product_to_store: `
    product_id int(11) NOT NULL
    store_id int(11) NOT NULL DEFAULT 0
    PRIMARY KEY (product_id, store_id)`,
  product_viewed: `
    product_id int(11) NOT NULL
    viewed int(11) NOT NULL
    PRIMARY KEY (product_id)`,
  review: `
    review_id int(11) NOT NULL AUTO_INCREMENT
    product_id int(11) NOT NULL
    customer_id int(11) NOT NULL
    author varchar(64) NOT NULL
    text text NOT NULL
    rating int(1) NOT NULL
    status tinyint(1) NOT NULL DEFAULT 0
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (review_id)
    KEY product_id (product_id)`,
  seo_url: `
    seo_url_id int(11) NOT NULL AUTO_INCREMENT
    store_id int(11) NOT NULL
    language_id int(11) NOT NULL
    key varchar(64) NOT NULL
    value varchar(255) NOT NULL
    keyword varchar(255) NOT NULL
    sort_order int(3) NOT NULL
    PRIMARY KEY (seo_url_id)
    KEY keyword (keyword)
    KEY query (key, value)`,
  session: `
    session_id varchar(32) NOT NULL
    data text NOT NULL
    expire datetime NOT NULL
    PRIMARY KEY (session_id)
    KEY expire (expire)`,
  setting: `
    setting_id int(11) NOT NULL AUTO_INCREMENT
    store_id int(11) NOT NULL DEFAULT 0
    code varchar(128) NOT NULL
    key varchar(128) NOT NULL
    value text NOT NULL
    serialized tinyint(1) NOT NULL DEFAULT 0
    PRIMARY KEY (setting_id)`,
  stock_status: `
    stock_status_id int(11) NOT NULL AUTO_INCREMENT
    language_id int(11) NOT NULL
    name varchar(32) NOT NULL
    PRIMARY KEY (stock_status_id, language_id)`,
  store: `
    store_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(64) NOT NULL
    url varchar(255) NOT NULL
    PRIMARY KEY (store_id)`,
  tax_class: `
    tax_class_id int(11) NOT NULL AUTO_INCREMENT
    title varchar(32) NOT NULL
    description varchar(255) NOT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (tax_class_id)`,
  tax_rate: `
    tax_rate_id int(11) NOT NULL AUTO_INCREMENT
    geo_zone_id int(11) NOT NULL DEFAULT 0
    name varchar(32) NOT NULL
    rate decimal(15,4) NOT NULL DEFAULT 0.0000
    type char(1) NOT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (tax_rate_id)`,
  tax_rate_to_customer_group: `
    tax_rate_id int(11) NOT NULL
    customer_group_id int(11) NOT NULL
    PRIMARY KEY (tax_rate_id, customer_group_id)`,
  tax_rule: `
    tax_rule_id int(11) NOT NULL AUTO_INCREMENT
    tax_class_id int(11) NOT NULL
    tax_rate_id int(11) NOT NULL
    based varchar(10) NOT NULL
    priority int(5) NOT NULL DEFAULT 1
    PRIMARY KEY (tax_rule_id)`,
  user: `
    user_id int(11) NOT NULL AUTO_INCREMENT
    user_group_id int(11) NOT NULL
    username varchar(20) NOT NULL
    password varchar(255) NOT NULL
    firstname varchar(32) NOT NULL
    lastname varchar(32) NOT NULL
    email varchar(96) NOT NULL
    image varchar(255) NOT NULL DEFAULT ''
    code varchar(40) NOT NULL DEFAULT ''
    ip varchar(40) NOT NULL DEFAULT ''
    status tinyint(1) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (user_id)`,
  user_authorize: `
    user_authorize_id int(11) NOT NULL AUTO_INCREMENT
    user_id int(11) NOT NULL
    token varchar(96) NOT NULL
    total int(1) NOT NULL
    ip varchar(40) NOT NULL
    user_agent varchar(255) NOT NULL
    status tinyint(1) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (user_authorize_id)`,
  user_group: `
    user_group_id int(11) NOT NULL AUTO_INCREMENT
    name varchar(64) NOT NULL
    permission text NOT NULL
    PRIMARY KEY (user_group_id)`,
  user_login: `
    user_login_id int(11) NOT NULL AUTO_INCREMENT
    user_id int(11) NOT NULL
    ip varchar(40) NOT NULL
    user_agent varchar(255) NOT NULL
    date_added datetime NOT NULL
    PRIMARY KEY (user_login_id)`,
  weight_class: `
    weight_class_id int(11) NOT NULL AUTO_INCREMENT
    value decimal(15,8) NOT NULL DEFAULT 0.00000000
    PRIMARY KEY (weight_class_id)`,
  weight_class_description: `
    weight_class_id int(11) NOT NULL
    language_id int(11) NOT NULL
    title varchar(32) NOT NULL
    unit varchar(4) NOT NULL
    PRIMARY KEY (weight_class_id, language_id)`,
  zone: `
    zone_id int(11) NOT NULL AUTO_INCREMENT
    country_id int(11) NOT NULL
    name varchar(128) NOT NULL
    code varchar(32) NOT NULL
    status tinyint(1) NOT NULL DEFAULT 1
    PRIMARY KEY (zone_id)`,
  zone_to_geo_zone: `
    zone_to_geo_zone_id int(11) NOT NULL AUTO_INCREMENT
    country_id int(11) NOT NULL
    zone_id int(11) NOT NULL DEFAULT 0
    geo_zone_id int(11) NOT NULL
    date_added datetime NOT NULL
    date_modified datetime NOT NULL
    PRIMARY KEY (zone_to_geo_zone_id)`,
};

function schemaLines(name: string): string[] {
  const body = SCHEMA[name];
  if (body === undefined) throw new Error(`Unknown demo table ${name}`);
  return body.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

function isKeyLine(line: string): boolean {
  return line.startsWith('PRIMARY KEY') || line.startsWith('KEY ');
}

function columnsOf(name: string): string[] {
  return schemaLines(name).filter((line) => !isKeyLine(line)).map((line) => line.split(/\s+/, 1)[0]!);
}

function quoteList(list: string): string {
  return list.split(',').map((id) => '`' + id.trim() + '`').join(', ');
}

function keyDdl(line: string): string {
  const primary = /^PRIMARY KEY \((.+)\)$/.exec(line);
  if (primary) return `PRIMARY KEY (${quoteList(primary[1]!)})`;
  const key = /^KEY (\w+) \((.+)\)$/.exec(line);
  if (key) return `KEY \`${key[1]}\` (${quoteList(key[2]!)})`;
  throw new Error(`Bad key line: ${line}`);
}

function columnDdl(line: string): string {
  const space = line.indexOf(' ');
  return '`' + line.slice(0, space) + '`' + line.slice(space);
}

function tableDdl(prefix: string, name: string): string {
  const lines = schemaLines(name).map((line) => (isKeyLine(line) ? keyDdl(line) : columnDdl(line)));
  return `CREATE TABLE \`${prefix}${name}\` (\n  ${lines.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;
}

// ---------------------------------------------------------------------------
// Deterministic randomness and formatting helpers
// ---------------------------------------------------------------------------

interface Random {
  next(): number;
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  money(min: number, max: number): number;
  hex(length: number): string;
}

/** mulberry32: tiny, fast and good enough; Math.random would make two runs differ. */
function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (probability: number): boolean => next() < probability,
    money: (min: number, max: number): number => round2(min + next() * (max - min)),
    hex: (length: number): string => Array.from({ length }, () => '0123456789abcdef'[int(0, 15)]).join(''),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** All timestamps derive from a fixed epoch so two runs produce byte-identical tables. */
const EPOCH_MS = Date.UTC(2021, 0, 4, 8, 0, 0);

function dateTime(secondsAfterEpoch: number): string {
  return new Date(EPOCH_MS + secondsAfterEpoch * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function dateOnly(secondsAfterEpoch: number): string {
  return dateTime(secondsAfterEpoch).slice(0, 10);
}

const DAY = 86_400;

/** PHP's json_encode() defaults (escaped slashes, \uXXXX for non-ASCII): what OpenCart really stores. */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** OpenCart stores descriptions through htmlspecialchars(); tags arrive entity-encoded. */
function encodedHtml(html: string): string {
  return html.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function slug(text: string): string {
  return asciiFold(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function asciiFold(text: string): string {
  return text
    .replace(/ß/g, 'ss').replace(/[Øø]/g, 'o').replace(/Æ/g, 'Ae').replace(/æ/g, 'ae').replace(/[Łł]/g, 'l')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

// ---------------------------------------------------------------------------
// Reference data (small tables, fixed contents)
// ---------------------------------------------------------------------------

const LANGUAGES = [
  { language_id: 1, name: 'English', code: 'en-gb', locale: 'en-gb,en_GB.UTF-8,en_GB,en-gb,english', extension: '', sort_order: 1, status: 1 },
  { language_id: 2, name: 'Deutsch', code: 'de-de', locale: 'de-DE,de_DE.UTF-8,de_DE,de-de,german', extension: '', sort_order: 2, status: 1 },
];

type Pair = readonly [en: string, de: string];

interface CountryDef {
  id: number;
  name: string;
  iso2: string;
  iso3: string;
  format: number;
  weight: number;
  phone: string;
  postcode: (r: Random) => string;
  zones: ReadonlyArray<readonly [name: string, code: string]>;
  cities: ReadonlyArray<readonly [city: string, zone: string]>;
  streets: readonly string[];
}

const digits = (r: Random, n: number): string => Array.from({ length: n }, () => String(r.int(0, 9))).join('');

const COUNTRIES: readonly CountryDef[] = [
  {
    id: 81, name: 'Germany', iso2: 'DE', iso3: 'DEU', format: 2, weight: 40, phone: '+49', postcode: (r) => digits(r, 5),
    zones: [['Baden-Württemberg', 'BAW'], ['Bayern', 'BAY'], ['Berlin', 'BER'], ['Brandenburg', 'BRG'], ['Bremen', 'BRE'], ['Hamburg', 'HAM'], ['Hessen', 'HES'], ['Mecklenburg-Vorpommern', 'MEC'], ['Niedersachsen', 'NDS'], ['Nordrhein-Westfalen', 'NRW'], ['Rheinland-Pfalz', 'RHE'], ['Saarland', 'SAR'], ['Sachsen', 'SAS'], ['Sachsen-Anhalt', 'SAC'], ['Schleswig-Holstein', 'SCN'], ['Thüringen', 'THE']],
    cities: [['Berlin', 'Berlin'], ['München', 'Bayern'], ['Köln', 'Nordrhein-Westfalen'], ['Düsseldorf', 'Nordrhein-Westfalen'], ['Hamburg', 'Hamburg'], ['Nürnberg', 'Bayern'], ['Würzburg', 'Bayern'], ['Dresden', 'Sachsen'], ['Erfurt', 'Thüringen'], ['Saarbrücken', 'Saarland'], ['Lübeck', 'Schleswig-Holstein'], ['Göttingen', 'Niedersachsen']],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Schloßallee', 'Königsweg', 'Mühlengasse', 'Am Gänsemarkt', 'Lindenstraße', 'Friedrich-Ebert-Straße'],
  },
  {
    id: 14, name: 'Austria', iso2: 'AT', iso3: 'AUT', format: 2, weight: 10, phone: '+43', postcode: (r) => digits(r, 4),
    zones: [['Wien', 'WIE'], ['Niederösterreich', 'NIO'], ['Oberösterreich', 'OBO'], ['Salzburg', 'SAL'], ['Tirol', 'TIR'], ['Vorarlberg', 'VOR'], ['Kärnten', 'KAR'], ['Steiermark', 'STE'], ['Burgenland', 'BUR']],
    cities: [['Wien', 'Wien'], ['Graz', 'Steiermark'], ['Linz', 'Oberösterreich'], ['Salzburg', 'Salzburg'], ['Innsbruck', 'Tirol'], ['Klagenfurt am Wörthersee', 'Kärnten']],
    streets: ['Mariahilfer Straße', 'Getreidegasse', 'Herrengasse', 'Kärntner Straße', 'Hauptplatz'],
  },
  {
    id: 204, name: 'Switzerland', iso2: 'CH', iso3: 'CHE', format: 2, weight: 8, phone: '+41', postcode: (r) => digits(r, 4),
    zones: [['Zürich', 'ZH'], ['Genève', 'GE'], ['Bern', 'BE'], ['Basel-Stadt', 'BS'], ['Ticino', 'TI']],
    cities: [['Zürich', 'Zürich'], ['Genève', 'Genève'], ['Bern', 'Bern'], ['Basel', 'Basel-Stadt'], ['Lugano', 'Ticino']],
    streets: ['Bahnhofstrasse', 'Rue du Rhône', 'Marktgasse', 'Via Nassa'],
  },
  {
    id: 222, name: 'United Kingdom', iso2: 'GB', iso3: 'GBR', format: 1, weight: 15, phone: '+44',
    postcode: (r) => `${r.pick(['SW1A', 'EC1A', 'M1', 'LS1', 'L1', 'EH1', 'CF10'])} ${r.int(1, 9)}${r.pick(['AA', 'BB', 'DX', 'QT', 'ZZ'])}`,
    zones: [['Greater London', 'LND'], ['Greater Manchester', 'MAN'], ['West Yorkshire', 'WYK'], ['Merseyside', 'MSY'], ['Edinburgh', 'EDH'], ['Cardiff', 'CRF']],
    cities: [['London', 'Greater London'], ['Manchester', 'Greater Manchester'], ['Leeds', 'West Yorkshire'], ['Liverpool', 'Merseyside'], ['Edinburgh', 'Edinburgh'], ['Cardiff', 'Cardiff']],
    streets: ['High Street', 'Baker Street', "Queen's Road", 'Station Road', 'Church Lane', 'Abbey Road'],
  },
  {
    id: 223, name: 'United States', iso2: 'US', iso3: 'USA', format: 1, weight: 15, phone: '+1', postcode: (r) => digits(r, 5),
    zones: [['California', 'CA'], ['New York', 'NY'], ['Texas', 'TX'], ['Washington', 'WA'], ['Illinois', 'IL'], ['Massachusetts', 'MA'], ['Florida', 'FL']],
    cities: [['San Francisco', 'California'], ['New York', 'New York'], ['Austin', 'Texas'], ['Seattle', 'Washington'], ['Chicago', 'Illinois'], ['Boston', 'Massachusetts'], ['Miami', 'Florida']],
    streets: ['Main St.', 'Elm Street', 'Sunset Blvd.', 'Broadway', 'Market Street', '5th Avenue'],
  },
  {
    id: 74, name: 'France', iso2: 'FR', iso3: 'FRA', format: 2, weight: 7, phone: '+33', postcode: (r) => digits(r, 5),
    zones: [['Île-de-France', 'IDF'], ["Provence-Alpes-Côte d'Azur", 'PAC'], ['Auvergne-Rhône-Alpes', 'ARA']],
    cities: [['Paris', 'Île-de-France'], ['Nice', "Provence-Alpes-Côte d'Azur"], ['Lyon', 'Auvergne-Rhône-Alpes'], ['Saint-Étienne', 'Auvergne-Rhône-Alpes']],
    streets: ['Rue de Rivoli', 'Boulevard Saint-Michel', "Rue de l'Église", 'Avenue des Champs-Élysées'],
  },
  {
    id: 107, name: 'Japan', iso2: 'JP', iso3: 'JPN', format: 1, weight: 5, phone: '+81', postcode: (r) => `${digits(r, 3)}-${digits(r, 4)}`,
    zones: [['Tōkyō 東京都', 'TK'], ['Ōsaka 大阪府', 'OS'], ['Kyōto 京都府', 'KY'], ['Hokkaidō 北海道', 'HK']],
    cities: [['東京', 'Tōkyō 東京都'], ['大阪', 'Ōsaka 大阪府'], ['京都', 'Kyōto 京都府'], ['札幌', 'Hokkaidō 北海道']],
    streets: ['千代田区丸の内', '中央区銀座', '渋谷区道玄坂', '北区紫野'],
  },
];

const ADDRESS_FORMATS = [
  { address_format_id: 1, name: 'Address Format', address_format: '{firstname} {lastname}\n{company}\n{address_1}\n{address_2}\n{city}, {zone} {postcode}\n{country}' },
  { address_format_id: 2, name: 'Mitteleuropa (DE/AT/CH/FR)', address_format: '{company}\n{firstname} {lastname}\n{address_1}\n{address_2}\n{postcode} {city}\n{country}' },
];

/** [id, parent, en, de]: three levels deep so category_path has real chains. */
const CATEGORIES: ReadonlyArray<readonly [number, number, string, string]> = [
  [20, 0, 'Desktops', 'Desktops'],
  [26, 20, 'PC', 'PC'],
  [27, 20, 'Mac', 'Mac'],
  [18, 0, 'Laptops & Notebooks', 'Laptops & Notebooks'],
  [46, 18, 'Macs', 'Macs'],
  [45, 18, 'Windows', 'Windows'],
  [25, 0, 'Components', 'Komponenten'],
  [29, 25, 'Mice and Trackballs', 'Mäuse und Trackballs'],
  [28, 25, 'Monitors', 'Monitore'],
  [60, 28, 'Curved Monitors', 'Gebogene Monitore'],
  [30, 25, 'Printers', 'Drucker'],
  [31, 25, 'Scanners', 'Scanner'],
  [32, 25, 'Web Cameras', 'Webcams'],
  [57, 0, 'Tablets', 'Tablets'],
  [17, 0, 'Software', 'Software'],
  [24, 0, 'Phones & PDAs', 'Telefone & PDAs'],
  [33, 0, 'Cameras', 'Kameras'],
  [34, 0, 'MP3 Players', 'MP3-Player'],
  [61, 0, 'Kitchen & Coffee ☕', 'Küche & Kaffee ☕'],
  [62, 61, 'Tea 茶', 'Tee 茶'],
  [63, 61, 'Espresso Machines', 'Espressomaschinen'],
];

/** [category, en noun, de noun, min price, max price] */
const PRODUCT_KINDS: ReadonlyArray<readonly [number, string, string, number, number]> = [
  [26, 'Desktop PC', 'Desktop-PC', 399, 1799],
  [27, 'iMac', 'iMac', 1099, 2599],
  [46, 'MacBook', 'MacBook', 999, 3199],
  [45, 'Ultrabook', 'Ultrabook', 599, 2099],
  [29, 'Wireless Mouse', 'Funkmaus', 15, 119],
  [29, 'Trackball', 'Trackball', 39, 149],
  [28, 'Monitor 27"', 'Monitor 27 Zoll', 179, 899],
  [60, 'Curved Monitor 34"', 'Curved-Monitor 34"', 349, 1199],
  [30, 'Laser Printer', 'Laserdrucker', 119, 699],
  [31, 'Document Scanner', 'Dokumentenscanner', 89, 499],
  [32, 'HD Webcam', 'HD-Webcam', 25, 179],
  [57, 'Tablet 11"', 'Tablet 11 Zoll', 249, 1299],
  [17, 'Office Suite', 'Office-Paket', 49, 399],
  [24, 'Smartphone', 'Smartphone', 199, 1399],
  [33, 'Mirrorless Camera', 'Spiegellose Kamera', 449, 2999],
  [34, 'MP3 Player', 'MP3-Player', 29, 199],
  [62, 'Green Tea 100 g', 'Grüner Tee 100 g', 4, 39],
  [63, 'Espresso Machine', 'Espressomaschine', 149, 1899],
  [61, 'Coffee Grinder', 'Kaffeemühle', 29, 349],
];

const QUALIFIERS: readonly Pair[] = [
  ['Pro', 'Pro'], ['Max', 'Max'], ['Compact', 'Kompakt'], ['Silent', 'Silent'], ['Deluxe', 'Deluxe'],
  ['Eco', 'Öko'], ['Ultra', 'Ultra'], ['Classic', 'Klassik'], ['Mini', 'Mini'], ['Premium', 'Premium'],
];

const MANUFACTURERS = [
  'Apple', 'Canon', 'Hewlett-Packard', 'HTC', 'Palm', 'Sony', 'Bosch', 'Müller & Söhne GmbH',
  'Nordisk Ærø ApS', 'Fjällräven Tech', '任天堂 Nintendo', "L'Atelier \"Café\"",
];

const SENTENCES: { en: readonly string[]; de: readonly string[] } = {
  en: [
    'Designed for everyday use, the {name} combines a sturdy build with a clean, minimalist look.',
    'Ships with a 2-year warranty & free returns within 30 days.',
    'It\'s quiet, fast and — thanks to the "smart" power mode — surprisingly efficient.',
    'Dimensions: {w} × {h} × {d} cm; weight: {kg} kg.',
    'Perfect for the home office, the studio or the café around the corner ☕.',
    'Setup takes less than five minutes; drivers are included on the USB stick.',
    'Note: colours may vary slightly from the pictures.',
    'Rated 4.8/5 by more than 1,200 customers — "best purchase this year!"',
    'Energy class A++, made from 60 % recycled materials.',
  ],
  de: [
    'Für den täglichen Einsatz entwickelt: {name} überzeugt durch robuste Verarbeitung und schlichtes Design.',
    'Mit 2 Jahren Garantie & kostenloser Rücksendung innerhalb von 30 Tagen.',
    'Leise, schnell und – dank des „intelligenten“ Energiesparmodus – überraschend effizient.',
    'Maße: {w} × {h} × {d} cm; Gewicht: {kg} kg.',
    'Ideal fürs Homeoffice, das Studio oder das Café um die Ecke ☕.',
    'Größe, Farbe und Ausführung können leicht von den Abbildungen abweichen.',
    'Die Einrichtung dauert weniger als fünf Minuten; Treiber liegen auf dem USB-Stick bei.',
    'Über 1.200 Kunden bewerten es mit 4,8/5 – „der beste Kauf des Jahres!“',
    'Energieeffizienzklasse A++, zu 60 % aus recycelten Materialien.',
  ],
};

interface SpecialText {
  name: string;
  description: string;
  tag: string;
}

/**
 * Hand-written products that stress a backup tool: quotes of every kind, backslashes and Windows
 * paths, CR/LF/tab, emoji (4-byte UTF-8), CJK, RTL scripts, and SQL-looking text.
 */
const SPECIAL_PRODUCTS: ReadonlyArray<{ en: SpecialText; de: SpecialText }> = [
  {
    en: {
      name: 'Studio Monitor 27" "ProArt" — O\'Neil Edition',
      description: 'Line one\r\nLine two\twith a tab\r\n"Double" and \'single\' quotes, a backslash \\ and a backtick `.\r\nLast line without newline',
      tag: 'monitor, "proart", o\'neil',
    },
    de: {
      name: 'Studiomonitor 27" „ProArt“ – O\'Neil-Edition',
      description: 'Zeile eins\r\nZeile zwei\tmit Tabulator\r\n"Doppelte" und \'einfache\' Anführungszeichen, ein Backslash \\ und ein Backtick `.',
      tag: 'monitor, „proart“',
    },
  },
  {
    en: {
      name: 'Driver Pack for Windows (C:\\new\\table)',
      description: encodedHtml('<p>After downloading, unpack to C:\\new\\table and run C:\\new\\table\\setup.exe /quiet.</p>\n<p>Network install: \\\\fileserver\\drivers\\x64\\ — or use %ProgramFiles%\\Vendor\\tool.exe.</p>\n<p>Regex for the log: ^\\d{4}-\\d{2}-\\d{2}\\s+\\[(\\w+)\\]$</p>'),
      tag: 'drivers, windows, C:\\new\\table',
    },
    de: {
      name: 'Treiberpaket für Windows (C:\\new\\table)',
      description: encodedHtml('<p>Nach dem Herunterladen nach C:\\new\\table entpacken und C:\\new\\table\\setup.exe /quiet ausführen.</p>\n<p>Netzwerkinstallation: \\\\fileserver\\drivers\\x64\\</p>'),
      tag: 'treiber, windows',
    },
  },
  {
    en: {
      name: '抹茶 Matcha Green Tea 🍵 (Uji, 京都)',
      description: encodedHtml('<p>日本茶の最高級品。Stone-ground in Uji, Kyōto 🍵🌿✨</p>\n<p>Whisk 2 g with 70 ml water at 80 °C.</p>'),
      tag: '抹茶, matcha, 🍵',
    },
    de: {
      name: '抹茶 Matcha-Grüntee 🍵 (Uji, 京都)',
      description: encodedHtml('<p>日本茶の最高級品。Steingemahlen in Uji, Kyōto 🍵🌿✨</p>\n<p>2 g mit 70 ml Wasser bei 80 °C aufschlagen.</p>'),
      tag: '抹茶, matcha, grüntee',
    },
  },
  {
    en: {
      name: 'Gaming Headset 🎧🔥 RGB',
      description: '👍 Ships worldwide 🌍 — 7.1 surround, 🎮 ready. Flags: 🇩🇪🇬🇧🇯🇵. Family: 👨‍👩‍👧‍👦',
      tag: '🎧, gaming',
    },
    de: {
      name: 'Gaming-Headset 🎧🔥 RGB',
      description: '👍 Weltweiter Versand 🌍 — 7.1-Surround, 🎮 bereit.',
      tag: '🎧, gaming',
    },
  },
  {
    en: {
      name: 'Bobby Tables Mug',
      description: "Printed on the side: Robert'); DROP TABLE oc_product;--\nAlso: /* not a comment */ -- not a comment either; semicolons; everywhere;\nEscaped quote: \\' and a double backslash: \\\\ and a lone \\\nControl character: \u0007 (BEL)",
      tag: "sql, robert'); --",
    },
    de: {
      name: 'Bobby-Tables-Tasse',
      description: "Aufdruck: Robert'); DROP TABLE oc_product;--\n/* kein Kommentar */ -- auch keiner;",
      tag: 'sql',
    },
  },
  {
    en: {
      name: 'Crème Brûlée Torch',
      description: 'Scripts: Ångström, Ærø, Łódź, Žluťoučký kůň, Ελληνικά, Кириллица, עברית, العربية, हिन्दी, 한국어, ภาษาไทย.\nMath: ∑ ∞ ≠ ≤ ≥ √ π ° ± ×',
      tag: 'crème, brûlée',
    },
    de: {
      name: 'Crème-brûlée-Brenner',
      description: 'Schriften: Ångström, Ærø, Łódź, Ελληνικά, Кириллица, עברית, العربية.\nMathe: ∑ ∞ ≠ ≤ ≥ √ π ° ± ×',
      tag: 'flambierbrenner',
    },
  },
];

const FIRST_NAMES = [
  'John', 'Jane', 'José', 'Zoë', 'Łukasz', 'Søren', 'Ægir', 'Chloé', 'Jürgen', 'Björn', 'Anaïs', 'François',
  'Siobhán', 'Mårten', 'Renée', 'Dmitrij', 'Ünal', 'Yuki', 'Wei', 'Ana', 'Mia', 'Lukas', 'Emma', 'Noah',
  'Olivia', 'Liam', 'Hannah', 'Felix', 'Sophie', 'Max', '翔太', 'さくら',
];

const LAST_NAMES = [
  'Müller', 'Schmidt', "O'Connor", 'García', 'Nørgaard', 'Dupont', 'Smith', 'Jones', 'Weiß', 'Schäfer',
  'Kowalski', 'Öztürk', "D'Angelo", 'van der Berg', 'Łęcki', 'Brontë', 'Fischer', 'Becker', 'Hoffmann',
  'Wagner', 'Taylor', 'Brown', '田中', '李', 'Nguyễn', 'Johansson', 'Lindqvist', 'McDonald', 'Ó Briain', 'Strauß',
];

const COMPANIES = ['Müller & Söhne GmbH', 'ACME "Widgets" Ltd.', 'Café Ümlaut OG', "O'Reilly & Partner", 'Société Générale d\'Électronique', '株式会社サンプル'];

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
];

const ACCEPT_LANGUAGES = ['de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7', 'en-GB,en;q=0.9', 'en-US,en;q=0.5', 'fr-FR,fr;q=0.9,en;q=0.6', 'ja-JP,ja;q=0.9'];

const ORDER_STATUSES: ReadonlyArray<readonly [number, string, string]> = [
  [1, 'Pending', 'Wartend'], [2, 'Processing', 'In Bearbeitung'], [3, 'Shipped', 'Versandt'], [5, 'Complete', 'Abgeschlossen'],
  [7, 'Canceled', 'Storniert'], [8, 'Denied', 'Abgelehnt'], [10, 'Failed', 'Fehlgeschlagen'], [11, 'Refunded', 'Erstattet'],
  [15, 'Processed', 'Bearbeitet'],
];

const CURRENCIES = [
  { currency_id: 1, title: 'Pound Sterling', code: 'GBP', symbol_left: '£', symbol_right: '', decimal_place: 2, value: 0.8646, status: 1 },
  { currency_id: 2, title: 'US Dollar', code: 'USD', symbol_left: '$', symbol_right: '', decimal_place: 2, value: 1.0889, status: 1 },
  { currency_id: 3, title: 'Euro', code: 'EUR', symbol_left: '', symbol_right: ' €', decimal_place: 2, value: 1.0, status: 1 },
  { currency_id: 4, title: 'Yen', code: 'JPY', symbol_left: '¥', symbol_right: '', decimal_place: 0, value: 157.31, status: 0 },
];

/** The admin routes of OpenCart 4.0.2.x that a full Administrator group may access and modify. */
const ADMIN_ROUTES = [
  'catalog/attribute', 'catalog/attribute_group', 'catalog/category', 'catalog/download', 'catalog/filter',
  'catalog/information', 'catalog/manufacturer', 'catalog/option', 'catalog/product', 'catalog/review',
  'catalog/subscription_plan', 'cms/antispam', 'common/dashboard', 'common/developer', 'common/filemanager',
  'customer/custom_field', 'customer/customer', 'customer/customer_approval', 'customer/customer_group', 'customer/gdpr',
  'design/banner', 'design/layout', 'design/seo_url', 'design/theme', 'design/translation',
  'extension/analytics', 'extension/captcha', 'extension/currency', 'extension/dashboard', 'extension/feed',
  'extension/fraud', 'extension/module', 'extension/other', 'extension/payment', 'extension/report',
  'extension/shipping', 'extension/theme', 'extension/total',
  'localisation/country', 'localisation/currency', 'localisation/geo_zone', 'localisation/language',
  'localisation/length_class', 'localisation/location', 'localisation/order_status', 'localisation/return_action',
  'localisation/return_reason', 'localisation/return_status', 'localisation/stock_status',
  'localisation/subscription_status', 'localisation/tax_class', 'localisation/tax_rate', 'localisation/weight_class',
  'localisation/zone', 'marketing/affiliate', 'marketing/contact', 'marketing/coupon', 'marketing/marketing',
  'marketplace/cron', 'marketplace/event', 'marketplace/extension', 'marketplace/install', 'marketplace/installer',
  'marketplace/marketplace', 'marketplace/startup', 'report/online', 'report/report', 'report/statistics',
  'sale/order', 'sale/returns', 'sale/subscription', 'sale/voucher', 'sale/voucher_theme',
  'setting/setting', 'setting/store', 'tool/backup', 'tool/log', 'tool/notification', 'tool/upgrade', 'tool/upload',
  'user/api', 'user/profile', 'user/user', 'user/user_permission',
];

// ---------------------------------------------------------------------------
// Seed data (scale 1)
// ---------------------------------------------------------------------------

const COUNTS = { products: 200, customers: 300, orders: 500, reviews: 400 } as const;

interface Place {
  country: CountryDef;
  zoneId: number;
  zoneName: string;
  city: string;
}

/** Everything later builders need to reference rows created by earlier ones. */
interface Context {
  r: Random;
  zoneIds: Map<string, number>;
  products: Array<{ id: number; model: string; price: number; names: Pair; taxable: boolean }>;
  customers: Array<{ id: number; firstname: string; lastname: string; email: string; telephone: string; groupId: number; addresses: Row[] }>;
}

function add(seed: Seed, table: string, rows: Row[]): void {
  seed.set(table, [...(seed.get(table) ?? []), ...rows]);
}

function buildSeed(adminHash: string, demoHash: string): Seed {
  const seed: Seed = new Map();
  const context: Context = { r: createRandom(SEED), zoneIds: new Map(), products: [], customers: [] };
  addLocalisation(seed, context);
  addStoreAndSettings(seed, context);
  addUsers(seed, context, adminHash, demoHash);
  addCatalog(seed, context);
  addProducts(seed, context);
  addCustomers(seed, context);
  addOrders(seed, context);
  addReviews(seed, context);
  addSessions(seed, context);
  return seed;
}

function addLocalisation(seed: Seed, { zoneIds }: Context): void {
  add(seed, 'language', LANGUAGES);
  add(seed, 'currency', CURRENCIES.map((c) => ({ ...c, date_modified: dateTime(1100 * DAY) })));
  add(seed, 'address_format', ADDRESS_FORMATS);
  add(seed, 'country', COUNTRIES.map((c) => ({
    country_id: c.id, name: c.name, iso_code_2: c.iso2, iso_code_3: c.iso3,
    address_format_id: c.format, postcode_required: c.iso2 === 'JP' ? 0 : 1, status: 1,
  })));
  const zones: Row[] = [];
  for (const country of COUNTRIES) {
    for (const [name, code] of country.zones) {
      const zoneId = zones.length + 1;
      zoneIds.set(`${country.id}:${name}`, zoneId);
      zones.push({ zone_id: zoneId, country_id: country.id, name, code, status: 1 });
    }
  }
  add(seed, 'zone', zones);
  add(seed, 'geo_zone', [
    { geo_zone_id: 3, name: 'UK VAT Zone', description: 'UK VAT', date_added: dateTime(0), date_modified: dateTime(30 * DAY) },
    { geo_zone_id: 4, name: 'UK Shipping', description: 'UK Shipping Zones', date_added: dateTime(0), date_modified: dateTime(0) },
    { geo_zone_id: 5, name: 'EU MwSt.-Zone', description: 'Umsatzsteuer für DE/AT/FR („EU“)', date_added: dateTime(DAY), date_modified: dateTime(DAY) },
  ]);
  add(seed, 'zone_to_geo_zone', zoneToGeoZones(zones));
  addTaxes(seed);
  addUnitsAndStatuses(seed);
}

function addTaxes(seed: Seed): void {
  add(seed, 'tax_class', [
    { tax_class_id: 9, title: 'Taxable Goods', description: 'Taxed goods', date_added: dateTime(0), date_modified: dateTime(10 * DAY) },
    { tax_class_id: 10, title: 'Downloadable Products', description: 'Downloadable', date_added: dateTime(0), date_modified: dateTime(0) },
  ]);
  add(seed, 'tax_rate', [
    { tax_rate_id: 86, geo_zone_id: 3, name: 'VAT (20%)', rate: 20, type: 'P', date_added: dateTime(0), date_modified: dateTime(0) },
    { tax_rate_id: 87, geo_zone_id: 3, name: 'Eco Tax (-2.00)', rate: 2, type: 'F', date_added: dateTime(0), date_modified: dateTime(0) },
    { tax_rate_id: 88, geo_zone_id: 5, name: 'MwSt. (19%)', rate: 19, type: 'P', date_added: dateTime(DAY), date_modified: dateTime(DAY) },
  ]);
  add(seed, 'tax_rate_to_customer_group', [
    { tax_rate_id: 86, customer_group_id: 1 }, { tax_rate_id: 87, customer_group_id: 1 },
    { tax_rate_id: 88, customer_group_id: 1 }, { tax_rate_id: 88, customer_group_id: 2 },
  ]);
  add(seed, 'tax_rule', [
    { tax_rule_id: 120, tax_class_id: 10, tax_rate_id: 87, based: 'store', priority: 0 },
    { tax_rule_id: 121, tax_class_id: 10, tax_rate_id: 86, based: 'payment', priority: 1 },
    { tax_rule_id: 128, tax_class_id: 9, tax_rate_id: 86, based: 'shipping', priority: 1 },
    { tax_rule_id: 129, tax_class_id: 9, tax_rate_id: 87, based: 'shipping', priority: 2 },
    { tax_rule_id: 130, tax_class_id: 9, tax_rate_id: 88, based: 'shipping', priority: 1 },
  ]);
}

function zoneToGeoZones(zones: Row[]): Row[] {
  const rows: Row[] = [];
  for (const zone of zones) {
    const countryId = zone['country_id'];
    const geoZones = countryId === 222 ? [3, 4] : [81, 14, 74].includes(countryId as number) ? [5] : [];
    for (const geoZoneId of geoZones) {
      rows.push({
        zone_to_geo_zone_id: rows.length + 1, country_id: countryId as number, zone_id: zone['zone_id'] as number,
        geo_zone_id: geoZoneId, date_added: dateTime(2 * DAY), date_modified: dateTime(2 * DAY),
      });
    }
  }
  return rows;
}

function addUnitsAndStatuses(seed: Seed): void {
  const pairs = (idColumn: string, list: ReadonlyArray<readonly [number, string, string]>): Row[] =>
    list.flatMap(([id, en, de]) => [{ [idColumn]: id, language_id: 1, name: en }, { [idColumn]: id, language_id: 2, name: de }]);
  add(seed, 'order_status', pairs('order_status_id', ORDER_STATUSES));
  add(seed, 'stock_status', pairs('stock_status_id', [[5, 'Out Of Stock', 'Nicht vorrätig'], [6, '2-3 Days', '2–3 Tage'], [7, 'In Stock', 'Auf Lager'], [8, 'Pre-Order', 'Vorbestellung']]));
  const units = (table: string, idColumn: string, list: ReadonlyArray<readonly [number, number, string, string, string]>): void => {
    add(seed, table, list.map(([id, value]) => ({ [idColumn]: id, value })));
    add(seed, `${table}_description`, list.flatMap(([id, , en, de, unit]) => [
      { [idColumn]: id, language_id: 1, title: en, unit },
      { [idColumn]: id, language_id: 2, title: de, unit },
    ]));
  };
  units('weight_class', 'weight_class_id', [[1, 1, 'Kilogram', 'Kilogramm', 'kg'], [2, 1000, 'Gram', 'Gramm', 'g'], [5, 2.20462262, 'Pound ', 'Pfund', 'lb'], [6, 35.27396195, 'Ounce', 'Unze', 'oz']]);
  units('length_class', 'length_class_id', [[1, 1, 'Centimeter', 'Zentimeter', 'cm'], [2, 10, 'Millimeter', 'Millimeter', 'mm'], [3, 0.3937, 'Inch', 'Zoll', 'in']]);
  add(seed, 'customer_group', [{ customer_group_id: 1, approval: 0, sort_order: 1 }, { customer_group_id: 2, approval: 1, sort_order: 2 }]);
  add(seed, 'customer_group_description', [
    { customer_group_id: 1, language_id: 1, name: 'Default', description: 'test' },
    { customer_group_id: 1, language_id: 2, name: 'Standard', description: 'Standardkunden' },
    { customer_group_id: 2, language_id: 1, name: 'Wholesale', description: 'Trade customers — prices excl. VAT' },
    { customer_group_id: 2, language_id: 2, name: 'Großhandel', description: 'Gewerbekunden – Preise zzgl. MwSt.' },
  ]);
}

function addStoreAndSettings(seed: Seed, { r, zoneIds }: Context): void {
  add(seed, 'store', [{ store_id: 1, name: 'Café Outlet Wien', url: 'https://outlet.example.com/' }]);
  const config = (key: string, value: string, serialized = 0, storeId = 0, code = 'config'): Row =>
    ({ store_id: storeId, code, key, value, serialized });
  const rows: Row[] = [
    config('config_name', 'Your Store — Demo GmbH & Co. KG'),
    config('config_owner', 'Jürgen Müller'),
    config('config_address', 'Hauptstraße 5\r\n80331 München\r\nDeutschland'),
    config('config_geocode', ''),
    config('config_email', 'shop@example.com'),
    config('config_telephone', '+49 89 1234567'),
    config('config_image', ''),
    config('config_open', 'Mo–Fr 9:00–18:00\r\nSa 10:00–14:00'),
    config('config_comment', 'Lieferung nur innerhalb der EU. "Express" möglich – ask for O\'Brien.'),
    config('config_meta_title', 'Your Store'),
    config('config_meta_description', 'My Store'),
    config('config_meta_keyword', ''),
    config('config_theme', 'basic'),
    config('config_layout_id', '4'),
    config('config_country_id', '81'),
    config('config_zone_id', String(zoneIds.get('81:Bayern'))),
    config('config_timezone', 'Europe/Berlin'),
    config('config_language', 'en-gb'),
    config('config_language_admin', 'en-gb'),
    config('config_currency', 'EUR'),
    config('config_currency_auto', '1'),
    config('config_length_class_id', '1'),
    config('config_weight_class_id', '1'),
    config('config_product_description_length', '100'),
    config('config_pagination', '10'),
    config('config_pagination_admin', '10'),
    config('config_product_count', '1'),
    config('config_review_status', '1'),
    config('config_review_guest', '1'),
    config('config_tax', '1'),
    config('config_tax_default', 'shipping'),
    config('config_tax_customer', 'shipping'),
    config('config_customer_group_id', '1'),
    config('config_customer_group_display', '["1","2"]', 1),
    config('config_login_attempts', '5'),
    config('config_account_id', '3'),
    config('config_checkout_guest', '1'),
    config('config_checkout_id', '5'),
    config('config_invoice_prefix', 'INV-2024-00'),
    config('config_order_status_id', '1'),
    config('config_processing_status', '["5","1","2","12","3"]', 1),
    config('config_complete_status', '["5","3"]', 1),
    config('config_fraud_status_id', '8'),
    config('config_stock_display', '0'),
    config('config_stock_checkout', '0'),
    config('config_logo', 'catalog/opencart-logo.png'),
    config('config_icon', 'catalog/cart.png'),
    config('config_mail_engine', 'mail'),
    config('config_mail_parameter', ''),
    config('config_mail_smtp_hostname', ''),
    config('config_mail_smtp_port', '25'),
    config('config_mail_alert', '["order"]', 1),
    config('config_mail_alert_email', 'orders@example.com\r\nbuchhaltung@example.de'),
    config('config_maintenance', '0'),
    config('config_seo_url', '0'),
    config('config_robots', 'abot\r\ndbot\r\nebot\r\nhbot\r\nkbot\r\nlbot\r\nmbot\r\nnbot\r\nobot\r\npbot\r\nrbot\r\nsbot\r\ntbot\r\nvbot\r\nybot\r\nzbot\r\nbot.\r\nbot/\r\n_bot\r\n.bot\r\n/bot\r\n-bot\r\n:bot\r\n(bot\r\ncrawl\r\nslurp\r\nspider\r\nseek'),
    config('config_compression', '0'),
    config('config_encryption', r.hex(128)),
    config('config_file_max_size', '300000'),
    config('config_file_ext_allowed', 'zip\r\ntxt\r\npng\r\njpe\r\njpeg\r\njpg\r\ngif\r\nbmp\r\nico\r\ntiff\r\ntif\r\nsvg\r\nsvgz\r\nrar\r\nmsi\r\ncab\r\nmp3\r\nqt\r\nmov\r\npdf\r\npsd\r\nai\r\neps\r\nps\r\ndoc'),
    config('config_file_mime_allowed', 'text/plain\r\nimage/png\r\nimage/jpeg\r\nimage/gif\r\nimage/bmp\r\nimage/tiff\r\nimage/svg+xml\r\napplication/zip\r\napplication/x-zip\r\napplication/x-zip-compressed\r\napplication/rar\r\napplication/x-rar\r\napplication/octet-stream\r\naudio/mpeg\r\nvideo/quicktime\r\napplication/pdf'),
    config('config_error_display', '1'),
    config('config_error_log', '1'),
    config('config_error_filename', 'error.log'),
    config('config_session_expire', '86400'),
    config('config_session_samesite', 'Strict'),
    config('config_api_id', '1'),
    config('payment_cod_status', '1', 0, 0, 'payment_cod'),
    config('payment_cod_order_status_id', '1', 0, 0, 'payment_cod'),
    config('payment_bank_transfer_bank_1', 'Sparkasse München\r\nIBAN: DE89 3704 0044 0532 0130 00\r\nBIC: COBADEFFXXX\r\nVerwendungszweck: "Bestellnummer"', 0, 0, 'payment_bank_transfer'),
    config('payment_bank_transfer_status', '1', 0, 0, 'payment_bank_transfer'),
    config('shipping_flat_cost', '5.00', 0, 0, 'shipping_flat'),
    config('shipping_flat_tax_class_id', '9', 0, 0, 'shipping_flat'),
    config('shipping_flat_status', '1', 0, 0, 'shipping_flat'),
    config('total_sub_total_status', '1', 0, 0, 'total_sub_total'),
    config('total_tax_status', '1', 0, 0, 'total_tax'),
    config('total_total_status', '1', 0, 0, 'total_total'),
    config('config_name', 'Café Outlet Wien', 0, 1),
    config('config_url', 'https://outlet.example.com/', 0, 1),
    config('config_language', 'de-de', 0, 1),
    config('config_currency', 'EUR', 0, 1),
    config('config_address', 'Mariahilfer Straße 1\r\n1060 Wien\r\nÖsterreich', 0, 1),
  ];
  add(seed, 'setting', rows.map((row, index) => ({ setting_id: index + 1, ...row })));
}

function permissionJson(modify: (route: string) => boolean): string {
  return phpJson({ access: ADMIN_ROUTES, modify: ADMIN_ROUTES.filter(modify) });
}

function addUsers(seed: Seed, { r }: Context, adminHash: string, demoHash: string): void {
  add(seed, 'user_group', [
    { user_group_id: 1, name: 'Administrator', permission: permissionJson(() => true) },
    { user_group_id: 2, name: 'Demonstration', permission: permissionJson((route) => !/^(tool|user|setting)\//.test(route)) },
  ]);
  add(seed, 'user', [
    // NOW() (and bcrypt's random salt) make oc_user the one table that differs between runs.
    { user_id: 1, user_group_id: 1, username: 'admin', password: adminHash, firstname: 'John', lastname: 'Doe', email: 'admin@example.com', image: '', code: '', ip: '127.0.0.1', status: 1, date_added: raw('NOW()') },
    { user_id: 2, user_group_id: 2, username: 'demo', password: demoHash, firstname: 'Jürgen', lastname: "O'Brien-Weiß", email: 'demo@example.com', image: 'catalog/profile/demo.png', code: '', ip: '', status: 1, date_added: dateTime(100 * DAY) },
  ]);
  add(seed, 'user_login', Array.from({ length: 25 }, (_, i) => ({
    user_login_id: i + 1, user_id: i % 5 === 4 ? 2 : 1, ip: i % 7 === 3 ? `2001:db8::${(i + 1).toString(16)}` : `192.168.${r.int(0, 9)}.${r.int(2, 254)}`,
    user_agent: r.pick(USER_AGENTS), date_added: dateTime(1000 * DAY + i * 3 * DAY + r.int(0, DAY)),
  })));
  add(seed, 'user_authorize', Array.from({ length: 3 }, (_, i) => ({
    user_authorize_id: i + 1, user_id: 1, token: r.hex(32), total: 0, ip: `192.168.0.${10 + i}`,
    user_agent: USER_AGENTS[i]!, status: 1, date_added: dateTime(1050 * DAY + i * DAY),
  })));
}

function addCatalog(seed: Seed, context: Context): void {
  const { r } = context;
  add(seed, 'manufacturer', MANUFACTURERS.map((name, i) => ({
    manufacturer_id: i + 5, name, image: `catalog/demo/manufacturer/${slug(name) || 'brand'}.png`, sort_order: 0,
  })));
  add(seed, 'manufacturer_to_store', MANUFACTURERS.map((_, i) => ({ manufacturer_id: i + 5, store_id: 0 })));
  add(seed, 'category', CATEGORIES.map(([id, parent], i) => ({
    category_id: id, image: parent === 0 ? `catalog/demo/category/${id}.jpg` : '', parent_id: parent, top: parent === 0 ? 1 : 0,
    column: parent === 0 ? r.int(1, 4) : 0, sort_order: i, status: 1, date_added: dateTime(i * 3600), date_modified: dateTime(200 * DAY + i * 3600),
  })));
  add(seed, 'category_description', CATEGORIES.flatMap(([id, , en, de]) => [en, de].map((name, i) => ({
    category_id: id, language_id: i + 1, name,
    description: i === 0 ? encodedHtml(`<p>Everything in ${name}.</p>\n<p>Free shipping over €50!</p>`) : encodedHtml(`<p>Alles rund um ${name}.</p>\n<p>Versandkostenfrei ab 50 €!</p>`),
    meta_title: name, meta_description: '', meta_keyword: '',
  }))));
  add(seed, 'category_path', CATEGORIES.flatMap(([id]) => categoryChain(id).map((pathId, level) => ({ category_id: id, path_id: pathId, level }))));
  add(seed, 'category_to_store', CATEGORIES.map(([id]) => ({ category_id: id, store_id: 0 })));
  addInformation(seed);
  add(seed, 'coupon', [
    { coupon_id: 4, name: '-10% Discount', code: '2222', type: 'P', discount: 10, logged: 0, shipping: 0, total: 0, date_start: '2021-01-01', date_end: '2030-12-31', uses_total: 10, uses_customer: 10, status: 0, date_added: dateTime(0) },
    { coupon_id: 5, name: 'Free Shipping', code: '3333', type: 'P', discount: 0, logged: 0, shipping: 1, total: 100, date_start: '2021-01-01', date_end: '2030-12-31', uses_total: 10, uses_customer: 10, status: 0, date_added: dateTime(0) },
    { coupon_id: 6, name: '€10 Rabatt für „Stammkunden“', code: 'STAMM10', type: 'F', discount: 10, logged: 1, shipping: 0, total: 50, date_start: '2022-03-01', date_end: '2024-02-29', uses_total: 1000, uses_customer: 1, status: 1, date_added: dateTime(420 * DAY) },
  ]);
}

function categoryChain(id: number): number[] {
  const parentOf = new Map(CATEGORIES.map(([cid, parent]) => [cid, parent]));
  const chain: number[] = [];
  for (let current = id; current !== 0; current = parentOf.get(current) ?? 0) chain.unshift(current);
  return chain;
}

function addInformation(seed: Seed): void {
  const pages: ReadonlyArray<readonly [number, Pair, Pair]> = [
    [4, ['About Us', 'Über uns'], ['<h1>About us</h1>\n<p>Family business since 1921 — "quality first".</p>', '<h1>Über uns</h1>\n<p>Familienunternehmen seit 1921 – „Qualität zuerst“.</p>']],
    [6, ['Delivery Information', 'Lieferinformationen'], ['<p>We ship within 24 h.\nExpress: next day.</p>', '<p>Versand innerhalb von 24 Std.\nExpress: am nächsten Tag.</p>']],
    [3, ['Privacy Policy', 'Datenschutzerklärung'], [privacyText('en'), privacyText('de')]],
    [5, ['Terms & Conditions', 'AGB'], ['<ol>\n<li>Scope</li>\n<li>Contract</li>\n<li>Prices incl. VAT</li>\n</ol>', '<ol>\n<li>Geltungsbereich</li>\n<li>Vertragsschluss</li>\n<li>Preise inkl. MwSt.</li>\n</ol>']],
  ];
  add(seed, 'information', pages.map(([id], i) => ({ information_id: id, bottom: 1, sort_order: i + 1, status: 1 })));
  add(seed, 'information_description', pages.flatMap(([id, titles, bodies]) => titles.map((title, i) => ({
    information_id: id, language_id: i + 1, title, description: encodedHtml(bodies[i]!), meta_title: title, meta_description: '', meta_keyword: '',
  }))));
  add(seed, 'information_to_store', pages.flatMap(([id]) => [{ information_id: id, store_id: 0 }, { information_id: id, store_id: 1 }]));
}

/** A long page, so mediumtext holds more than a few hundred bytes. */
function privacyText(lang: 'en' | 'de'): string {
  const paragraph = lang === 'en'
    ? 'We process personal data (name, address, e-mail) only to fulfil your order. You may request deletion at any time: privacy@example.com.'
    : 'Wir verarbeiten personenbezogene Daten (Name, Anschrift, E-Mail) ausschließlich zur Vertragserfüllung. Löschung jederzeit möglich: datenschutz@example.de.';
  return Array.from({ length: 24 }, (_, i) => `<h2>§ ${i + 1}</h2>\n<p>${paragraph}</p>`).join('\n');
}

function addProducts(seed: Seed, context: Context): void {
  const { r } = context;
  const products: Row[] = [];
  const descriptions: Row[] = [];
  const toCategory: Row[] = [];
  const toStore: Row[] = [];
  const images: Row[] = [];
  const specials: Row[] = [];
  const discounts: Row[] = [];
  const viewed: Row[] = [];
  for (let id = 1; id <= COUNTS.products; id++) {
    const kind = r.pick(PRODUCT_KINDS);
    const names = productNames(r, kind);
    const special = SPECIAL_PRODUCTS[id - 1];
    const price = r.money(kind[3], kind[4]);
    const taxable = kind[0] !== 17;
    const model = `${asciiFold(kind[1]).replace(/[^A-Za-z]/g, '').slice(0, 3).toUpperCase()}-${String(id).padStart(5, '0')}`;
    context.products.push({ id, model, price, names: special ? [special.en.name, special.de.name] : names, taxable });
    products.push(productRow(r, id, model, price, taxable));
    descriptions.push(...productDescriptions(r, id, names, special));
    toCategory.push({ product_id: id, category_id: kind[0] });
    const parent = CATEGORIES.find(([cid]) => cid === kind[0])![1];
    if (parent !== 0) toCategory.push({ product_id: id, category_id: parent });
    toStore.push({ product_id: id, store_id: 0 });
    if (r.chance(0.25)) toStore.push({ product_id: id, store_id: 1 });
    for (let n = r.int(0, 3); n > 0; n--) {
      images.push({ product_image_id: images.length + 1, product_id: id, image: `catalog/demo/product/${id}-${n}.jpg`, sort_order: n });
    }
    if (r.chance(0.2)) specials.push(specialRow(r, specials.length + 1, id, price));
    if (r.chance(0.3)) discounts.push(discountRow(r, discounts.length + 1, id, price));
    viewed.push({ product_id: id, viewed: r.int(0, 5000) });
  }
  add(seed, 'product', products);
  add(seed, 'product_description', descriptions);
  add(seed, 'product_to_category', toCategory);
  add(seed, 'product_to_store', toStore);
  add(seed, 'product_image', images);
  add(seed, 'product_special', specials);
  add(seed, 'product_discount', discounts);
  add(seed, 'product_viewed', viewed);
  add(seed, 'product_related', relatedPairs(r));
  add(seed, 'seo_url', seoUrls(context));
}

function productNames(r: Random, kind: (typeof PRODUCT_KINDS)[number]): Pair {
  const maker = r.pick(MANUFACTURERS);
  const qualifier = r.pick(QUALIFIERS);
  const series = `${r.pick(['X', 'S', 'Z', 'A', 'Q'])}${r.int(1, 99) * 10}`;
  return [`${maker} ${kind[1]} ${qualifier[0]} ${series}`, `${maker} ${kind[2]} ${qualifier[1]} ${series}`];
}

function productRow(r: Random, id: number, model: string, price: number, taxable: boolean): Row {
  const added = r.int(0, 1000) * DAY + r.int(0, DAY - 1);
  const location = id % 25 === 0 ? `C:\\Lager\\Regal ${r.int(1, 40)}\\Fach ${r.int(1, 9)}` : r.chance(0.5) ? `Lager ${r.int(1, 3)}, Regal ${r.int(1, 40)}` : '';
  return {
    product_id: id, master_id: 0, model, sku: `SKU-${id}`, upc: digits(r, 12), ean: digits(r, 13), jan: '', isbn: '', mpn: r.chance(0.5) ? `MPN${digits(r, 8)}` : '',
    location, variant: '', override: '', quantity: r.int(0, 999), stock_status_id: r.pick([5, 6, 7, 8]), image: `catalog/demo/product/${id}.jpg`,
    manufacturer_id: r.int(5, 5 + MANUFACTURERS.length - 1), shipping: taxable ? 1 : 0, price, points: r.chance(0.2) ? r.int(100, 1000) : 0,
    tax_class_id: taxable ? 9 : 10, date_available: dateOnly(added), weight: round2(r.next() * 20), weight_class_id: 1,
    length: r.int(5, 80), width: r.int(5, 80), height: r.int(1, 60), length_class_id: 1, subtract: 1, minimum: 1, rating: 0,
    sort_order: 0, status: r.chance(0.9) ? 1 : 0, date_added: dateTime(added), date_modified: dateTime(added + r.int(0, 60) * DAY),
  };
}

function productDescriptions(r: Random, id: number, names: Pair, special?: { en: SpecialText; de: SpecialText }): Row[] {
  const size = { w: r.int(5, 80), h: r.int(5, 80), d: r.int(1, 60), kg: (r.int(1, 200) / 10).toFixed(1) };
  return (['en', 'de'] as const).map((lang, index) => {
    const name = special ? special[lang].name : names[index]!;
    const description = special ? special[lang].description : generatedDescription(r, lang, name, size);
    return {
      product_id: id, language_id: index + 1, name, description, tag: special ? special[lang].tag : name.toLowerCase().split(' ').slice(0, 3).join(', '),
      meta_title: name, meta_description: lang === 'en' ? `Buy ${name} online` : `${name} online kaufen`, meta_keyword: '',
    };
  });
}

function generatedDescription(r: Random, lang: 'en' | 'de', name: string, size: Record<string, string | number>): string {
  const pool = SENTENCES[lang];
  const fill = (s: string): string => s.replace(/\{(\w+)\}/g, (_, key: string) => (key === 'name' ? name : String(size[key])));
  const paragraphs = Array.from({ length: r.int(1, 2) }, () =>
    `<p>${Array.from({ length: r.int(1, 3) }, () => fill(r.pick(pool))).join(' ')}</p>`);
  const bullets = `<ul>\n${Array.from({ length: r.int(1, 3) }, () => `<li>${fill(r.pick(pool))}</li>`).join('\n')}\n</ul>`;
  return encodedHtml([...paragraphs, bullets].join('\n'));
}

function specialRow(r: Random, rowId: number, productId: number, price: number): Row {
  const start = r.int(300, 1100) * DAY;
  return {
    product_special_id: rowId, product_id: productId, customer_group_id: r.pick([1, 1, 2]), priority: r.int(1, 3),
    price: round2(price * (0.7 + r.next() * 0.25)), date_start: dateOnly(start), date_end: r.chance(0.4) ? null : dateOnly(start + r.int(7, 90) * DAY),
  };
}

function discountRow(r: Random, rowId: number, productId: number, price: number): Row {
  const start = r.int(300, 1100) * DAY;
  return {
    product_discount_id: rowId, product_id: productId, customer_group_id: r.pick([1, 2]), quantity: r.pick([5, 10, 20]), priority: 1,
    price: round2(price * 0.9), date_start: dateOnly(start), date_end: r.chance(0.5) ? null : dateOnly(start + r.int(30, 365) * DAY),
  };
}

function relatedPairs(r: Random): Row[] {
  const pairs = new Set<string>();
  while (pairs.size < 120) {
    const a = r.int(1, COUNTS.products);
    const b = r.int(1, COUNTS.products);
    if (a !== b) pairs.add(`${a}:${b}`);
  }
  return [...pairs].sort().map((pair) => {
    const [productId, relatedId] = pair.split(':').map(Number);
    return { product_id: productId!, related_id: relatedId! };
  });
}

function seoUrls({ products }: Context): Row[] {
  const rows: Row[] = [];
  const push = (languageId: number, key: string, value: number | string, keyword: string): void => {
    rows.push({ seo_url_id: rows.length + 1, store_id: 0, language_id: languageId, key, value: String(value), keyword, sort_order: 0 });
  };
  for (const product of products) product.names.forEach((name, i) => push(i + 1, 'product_id', product.id, `${slug(name)}-${product.id}`));
  for (const [id, , en, de] of CATEGORIES) [en, de].forEach((name, i) => push(i + 1, 'path', categoryChain(id).join('_'), `${slug(name)}-${id}`));
  for (const [i, name] of MANUFACTURERS.entries()) push(1, 'manufacturer_id', i + 5, `${slug(name) || 'brand'}-${i + 5}`);
  push(1, 'information_id', 4, 'about-us');
  push(2, 'information_id', 4, 'über-uns');
  push(1, 'route', 'checkout/cart', 'cart');
  push(2, 'route', 'checkout/cart', 'warenkorb');
  return rows;
}

function addCustomers(seed: Seed, context: Context): void {
  const { r } = context;
  const customers: Row[] = [];
  const addresses: Row[] = [];
  const activity: Row[] = [];
  for (let id = 1; id <= COUNTS.customers; id++) {
    const firstname = r.pick(FIRST_NAMES);
    const lastname = r.pick(LAST_NAMES);
    const local = `${slug(firstname) || 'kunde'}.${slug(lastname) || 'kunde'}`.replace(/-/g, '');
    const email = `${local}${id}@example.${r.pick(['com', 'de', 'co.uk', 'at', 'fr', 'jp'])}`;
    const home = randomPlace(r, context);
    const telephone = `${home.country.phone} ${r.int(10, 999)} ${digits(r, r.int(6, 8))}`;
    const groupId = r.chance(0.1) ? 2 : 1;
    const added = r.int(0, 1000) * DAY + r.int(0, DAY - 1);
    customers.push({
      customer_id: id, customer_group_id: groupId, store_id: r.chance(0.1) ? 1 : 0, language_id: home.country.iso2 === 'DE' || home.country.iso2 === 'AT' ? 2 : 1,
      firstname, lastname, email, telephone, password: fakeBcrypt(r), custom_field: r.chance(0.1) ? phpJson({ 1: `USt-IdNr. DE${digits(r, 9)}` }) : '[]',
      newsletter: r.chance(0.3) ? 1 : 0, ip: randomIp(r), status: r.chance(0.95) ? 1 : 0, safe: 0, token: '', code: '', date_added: dateTime(added),
    });
    const own: Row[] = [];
    for (let n = r.chance(0.3) ? 2 : 1; n > 0; n--) {
      const place = own.length === 0 ? home : randomPlace(r, context);
      own.push(addressRow(r, addresses.length + own.length + 1, id, firstname, lastname, place, own.length === 0));
    }
    addresses.push(...own);
    context.customers.push({ id, firstname, lastname, email, telephone, groupId, addresses: own });
    activity.push(...activityRows(r, activity.length, id, `${firstname} ${lastname}`, added));
  }
  add(seed, 'customer', customers);
  add(seed, 'address', addresses);
  add(seed, 'customer_activity', activity);
  add(seed, 'customer_wishlist', wishlist(r));
  add(seed, 'customer_transaction', Array.from({ length: 40 }, (_, i) => ({
    customer_transaction_id: i + 1, customer_id: r.int(1, COUNTS.customers), order_id: 0,
    description: r.pick(['Gutschrift für Rücksendung', 'Store credit — goodwill', 'Refund "damaged parcel"', 'Korrektur: Versandkosten']),
    amount: r.money(-50, 100), date_added: dateTime(r.int(300, 1100) * DAY),
  })));
}

/** Customers have no usable passwords: a well-formed but random $2y$ string avoids 300 slow bcrypt runs. */
function fakeBcrypt(r: Random): string {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return '$2y$10$' + Array.from({ length: 53 }, () => r.pick(alphabet.split(''))).join('');
}

function randomIp(r: Random): string {
  return r.chance(0.15)
    ? `2001:db8:${r.int(0, 0xffff).toString(16)}::${r.int(1, 0xffff).toString(16)}`
    : `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

function randomPlace(r: Random, { zoneIds }: Context): Place {
  let ticket = r.int(1, COUNTRIES.reduce((sum, c) => sum + c.weight, 0));
  const country = COUNTRIES.find((c) => (ticket -= c.weight) <= 0)!;
  const [city, zoneName] = r.pick(country.cities);
  return { country, city, zoneName, zoneId: zoneIds.get(`${country.id}:${zoneName}`)! };
}

function addressRow(r: Random, addressId: number, customerId: number, firstname: string, lastname: string, place: Place, isDefault: boolean): Row {
  const street = r.pick(place.country.streets);
  const number = r.int(1, 250);
  return {
    address_id: addressId, customer_id: customerId, firstname, lastname, company: r.chance(0.15) ? r.pick(COMPANIES) : '',
    address_1: place.country.iso2 === 'JP' ? `${street}${r.int(1, 9)}-${r.int(1, 30)}-${r.int(1, 20)}` : place.country.format === 2 ? `${street} ${number}` : `${number} ${street}`,
    address_2: r.chance(0.2) ? r.pick(['Apt. 4B', '3. OG links', 'c/o Müller & Co.', 'Hinterhaus', "Flat 2, St John's Court"]) : '',
    city: place.city, postcode: place.country.postcode(r), country_id: place.country.id, zone_id: place.zoneId, custom_field: '[]', default: isDefault ? 1 : 0,
  };
}

function activityRows(r: Random, offset: number, customerId: number, name: string, added: number): Row[] {
  return Array.from({ length: r.int(0, 2) }, (_, i) => ({
    customer_activity_id: offset + i + 1, customer_id: customerId, key: r.pick(['login', 'edit', 'password', 'address_add']),
    data: phpJson({ customer_id: String(customerId), name }), ip: randomIp(r), date_added: dateTime(added + (i + 1) * r.int(1, 90) * DAY),
  }));
}

function wishlist(r: Random): Row[] {
  const pairs = new Map<string, Row>();
  while (pairs.size < 150) {
    const customerId = r.int(1, COUNTS.customers);
    const productId = r.int(1, COUNTS.products);
    pairs.set(`${String(customerId).padStart(5, '0')}:${String(productId).padStart(5, '0')}`, { customer_id: customerId, product_id: productId, date_added: dateTime(r.int(200, 1100) * DAY) });
  }
  return [...pairs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, row]) => row);
}

function addOrders(seed: Seed, context: Context): void {
  const { r } = context;
  const tables = { order: [] as Row[], order_product: [] as Row[], order_total: [] as Row[], order_history: [] as Row[], coupon_history: [] as Row[] };
  for (let orderId = 1; orderId <= COUNTS.orders; orderId++) {
    const added = 30 * DAY + Math.floor(((orderId - 1) / COUNTS.orders) * 1050 * DAY) + r.int(0, DAY - 1);
    const customer = r.chance(0.8) ? r.pick(context.customers) : undefined;
    const german = r.chance(0.5);
    const lines = orderLines(r, context, tables.order_product, orderId, german);
    const subTotal = round2(lines.reduce((sum, l) => sum + l.total, 0));
    const tax = round2(lines.reduce((sum, l) => sum + l.tax * l.quantity, 0));
    const shipping = subTotal > 100 ? 0 : 5;
    const total = round2(subTotal + shipping + tax);
    const status = r.pick([1, 2, 3, 5, 5, 5, 5, 7, 15]);
    tables.order.push(orderRow(r, context, orderId, customer, german, total, status, added));
    tables.order_total.push(...orderTotals(tables.order_total.length, orderId, german, subTotal, shipping, tax, total));
    tables.order_history.push(...orderHistory(r, tables.order_history.length, orderId, status, added));
    if (r.chance(0.05)) tables.coupon_history.push({ coupon_history_id: tables.coupon_history.length + 1, coupon_id: 6, order_id: orderId, customer_id: customer?.id ?? 0, amount: -10, date_added: dateTime(added) });
  }
  for (const [table, rows] of Object.entries(tables)) add(seed, table, rows);
}

function orderLines(r: Random, { products }: Context, sink: Row[], orderId: number, german: boolean): Array<{ total: number; tax: number; quantity: number }> {
  const lines: Array<{ total: number; tax: number; quantity: number }> = [];
  for (let n = r.pick([1, 1, 2, 2, 3, 3, 3, 4, 5, 6]); n > 0; n--) {
    const product = r.pick(products);
    const quantity = r.pick([1, 1, 1, 2, 2, 3, 4]);
    const total = round2(product.price * quantity);
    const tax = product.taxable ? round2(product.price * 0.19) : 0;
    sink.push({
      order_product_id: sink.length + 1, order_id: orderId, product_id: product.id, master_id: 0, name: product.names[german ? 1 : 0],
      model: product.model, quantity, price: product.price, total, tax, reward: 0,
    });
    lines.push({ total, tax, quantity });
  }
  return lines;
}

function orderRow(r: Random, context: Context, orderId: number, customer: Context['customers'][number] | undefined, german: boolean, total: number, status: number, added: number): Row {
  const guestPlace = randomPlace(r, context);
  const firstname = customer?.firstname ?? r.pick(FIRST_NAMES);
  const lastname = customer?.lastname ?? r.pick(LAST_NAMES);
  const payment = customer ? customer.addresses[0]! : addressRow(r, 0, 0, firstname, lastname, guestPlace, true);
  const shipping = customer && customer.addresses.length > 1 && r.chance(0.5) ? customer.addresses[1]! : payment;
  const currency = german ? CURRENCIES[2]! : r.pick(CURRENCIES.slice(0, 3));
  const proxied = r.chance(0.1);
  return {
    order_id: orderId, subscription_id: 0, invoice_no: status === 5 || status === 3 ? orderId : 0, invoice_prefix: 'INV-2024-00',
    transaction_id: r.chance(0.3) ? `txn_${r.hex(16)}` : '', store_id: 0, store_name: 'Your Store — Demo GmbH & Co. KG', store_url: 'https://shop.example.com/',
    customer_id: customer?.id ?? 0, customer_group_id: customer?.groupId ?? 1, firstname, lastname,
    email: customer?.email ?? `guest${orderId}@example.net`, telephone: customer?.telephone ?? `+49 30 ${digits(r, 7)}`, custom_field: '[]',
    ...addressColumns('payment', payment, customer ? payment['address_id'] as number : 0),
    payment_method: phpJson(r.chance(0.6) ? { name: 'Cash On Delivery', code: 'cod.cod' } : { name: 'Bank Transfer / Überweisung', code: 'bank_transfer.bank_transfer' }),
    ...addressColumns('shipping', shipping, customer ? shipping['address_id'] as number : 0),
    shipping_method: phpJson({ name: 'Flat Shipping Rate', code: 'flat.flat', cost: '5.00', tax_class_id: '9', text: german ? '5,00 €' : '€5.00' }),
    comment: orderComment(r), total, order_status_id: status, affiliate_id: 0, commission: 0, marketing_id: 0, tracking: '',
    language_id: german ? 2 : 1, language_code: german ? 'de-de' : 'en-gb', currency_id: currency.currency_id, currency_code: currency.code, currency_value: currency.value,
    ip: randomIp(r), forwarded_ip: proxied ? randomIp(r) : null, user_agent: r.pick(USER_AGENTS), accept_language: r.chance(0.9) ? r.pick(ACCEPT_LANGUAGES) : null,
    date_added: dateTime(added), date_modified: dateTime(added + r.int(0, 10) * DAY),
  };
}

function addressColumns(kind: 'payment' | 'shipping', address: Row, addressId: number): Row {
  const country = COUNTRIES.find((c) => c.id === address['country_id'])!;
  const zone = country.zones.find(([name]) => country.cities.some(([city, z]) => city === address['city'] && z === name))?.[0] ?? '';
  return {
    [`${kind}_address_id`]: addressId, [`${kind}_firstname`]: address['firstname']!, [`${kind}_lastname`]: address['lastname']!,
    [`${kind}_company`]: address['company']!, [`${kind}_address_1`]: address['address_1']!, [`${kind}_address_2`]: address['address_2']!,
    [`${kind}_city`]: address['city']!, [`${kind}_postcode`]: address['postcode']!, [`${kind}_country`]: country.name,
    [`${kind}_country_id`]: country.id, [`${kind}_zone`]: zone, [`${kind}_zone_id`]: address['zone_id']!,
    [`${kind}_address_format`]: '', [`${kind}_custom_field`]: '[]',
  };
}

function orderComment(r: Random): string {
  if (!r.chance(0.25)) return '';
  return r.pick([
    'Bitte beim Nachbarn abgeben, falls ich nicht da bin.',
    'Please leave the parcel at the back door.\nRing twice!',
    'Geschenk 🎁 – bitte ohne Rechnung ins Paket.',
    'Delivery note: "fragile" — handle with care.',
    "Don't ring, baby's asleep 😴",
    '配達は午前中にお願いします。',
    'Lieferadresse:\r\nc/o Müller\r\nHinterhof, 2. Tür links',
  ]);
}

function orderTotals(offset: number, orderId: number, german: boolean, subTotal: number, shipping: number, tax: number, total: number): Row[] {
  const lines: Array<[string, string, number, number]> = [
    ['sub_total', german ? 'Zwischensumme' : 'Sub-Total', subTotal, 1],
    ['shipping', german ? 'Versandkostenpauschale' : 'Flat Shipping Rate', shipping, 3],
    ['tax', german ? 'MwSt. (19%)' : 'VAT (19%)', tax, 5],
    ['total', german ? 'Gesamtsumme' : 'Total', total, 9],
  ];
  return lines.filter(([code, , value]) => code !== 'tax' || value !== 0).map(([code, title, value, sort], i) => ({
    order_total_id: offset + i + 1, order_id: orderId, extension: 'opencart', code, title, value, sort_order: sort,
  }));
}

function orderHistory(r: Random, offset: number, orderId: number, finalStatus: number, added: number): Row[] {
  const path = finalStatus === 1 ? [1] : finalStatus === 7 ? [1, 7] : finalStatus === 5 ? [1, 2, 3, 5].slice(r.int(0, 2)) : [1, finalStatus];
  return path.map((status, i) => ({
    order_history_id: offset + i + 1, order_id: orderId, order_status_id: status, notify: i > 0 && r.chance(0.5) ? 1 : 0,
    comment: i > 0 && r.chance(0.3) ? r.pick(['Tracking: 1Z999AA10123456784', 'Paket ist unterwegs 🚚', 'Customer called: "please hurry"', 'Storniert auf Kundenwunsch.\nGutschrift erfolgt.']) : '',
    date_added: dateTime(added + i * r.int(1, 4) * DAY),
  }));
}

function addReviews(seed: Seed, { r, customers }: Context): void {
  const texts = [
    'Great product, works as advertised. Would buy again!',
    'Sehr gutes Produkt, schnelle Lieferung. Gerne wieder!',
    "Meh. It's OK for the price, but the \"premium\" finish scratches easily.",
    'Absolutely love it 😍😍😍\nFive stars ⭐⭐⭐⭐⭐',
    'Kam beschädigt an – Kundenservice hat aber sofort Ersatz geschickt. 👍',
    "My name is Robert'); DROP TABLE oc_review;-- and I approve this message.",
    '思ったより良かったです。おすすめします！',
    'Pros:\n- quiet\n- fast\nCons:\n- the manual is only in Fraktur: \\fancy\\',
  ];
  add(seed, 'review', Array.from({ length: COUNTS.reviews }, (_, i) => {
    const customer = r.chance(0.7) ? r.pick(customers) : undefined;
    const added = r.int(60, 1100) * DAY + r.int(0, DAY - 1);
    return {
      review_id: i + 1, product_id: r.int(1, COUNTS.products), customer_id: customer?.id ?? 0,
      author: customer ? `${customer.firstname} ${customer.lastname.slice(0, 1)}.` : r.pick(['Anonymous', 'Gast', "D'Artagnan", 'Zoë 🌸']),
      text: r.pick(texts), rating: r.int(1, 5), status: r.chance(0.85) ? 1 : 0, date_added: dateTime(added), date_modified: dateTime(added + r.int(0, 5) * DAY),
    };
  }));
}

function addSessions(seed: Seed, { r, products }: Context): void {
  const sessions = Array.from({ length: 20 }, (_, i) => ({
    session_id: r.hex(32),
    data: phpJson(i % 4 === 0 ? { language: 'de-de', currency: 'EUR', user_id: 1, user_token: r.hex(32) } : { language: 'en-gb', currency: r.pick(['EUR', 'GBP', 'USD']), customer_id: r.int(0, COUNTS.customers) }),
    expire: dateTime(1200 * DAY + i * 3600),
  }));
  add(seed, 'session', sessions);
  add(seed, 'cart', Array.from({ length: 30 }, (_, i) => ({
    cart_id: i + 1, api_id: 0, customer_id: r.chance(0.5) ? r.int(1, COUNTS.customers) : 0, session_id: r.pick(sessions).session_id,
    product_id: r.pick(products).id, subscription_plan_id: 0, option: r.chance(0.2) ? phpJson({ 227: '17', 229: 'Gravur: „Für Oma“' }) : '[]',
    quantity: r.int(1, 3), date_added: dateTime(1190 * DAY + i * 600),
  })));
}

// ---------------------------------------------------------------------------
// Writing rows
// ---------------------------------------------------------------------------

/** Multi-row INSERTs of ~1 MB; every value goes through mysql2's escaping. */
async function insertRows(conn: Connection, table: string, rows: Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = Object.keys(rows[0]!);
  const head = `INSERT INTO ${conn.escapeId(table)} (${columns.map((c) => conn.escapeId(c)).join(', ')}) VALUES `;
  let tuples: string[] = [];
  let size = head.length;
  let inserted = 0;
  const flush = async (): Promise<void> => {
    const [result] = await conn.query<ResultSetHeader>(head + tuples.join(',\n'));
    inserted += result.affectedRows;
    tuples = [];
    size = head.length;
  };
  for (const row of rows) {
    const tuple = '(' + columns.map((c) => conn.escape(row[c])).join(', ') + ')';
    if (tuples.length > 0 && size + tuple.length > MAX_STATEMENT_CHARS) await flush();
    tuples.push(tuple);
    size += tuple.length + 2;
  }
  await flush();
  return inserted;
}

// ---------------------------------------------------------------------------
// Multiplying the big tables inside MariaDB
// ---------------------------------------------------------------------------

/** Id strides: copy k of seed row id gets id + k * stride, so keys never collide. */
type Strides = Record<'product' | 'customer' | 'address' | 'order', number> & Record<string, number>;

/**
 * Each extra scale unit copies a rotating 2-in-5 sample of the seed entities rather than all of
 * them: that keeps scale ~2000 near 1 GB of dump text (a full seed copy is ~1.3 MB) and makes
 * neighbouring copies differ in which products, customers and orders they contain.
 */
const inCopy = (idExpr: string): string => `MOD(${idExpr} + k.seq, 5) < 2`;

interface CopySpec {
  table: string;
  /** Seed columns ordered like the primary key, so each chunk inserts in ascending key order. */
  orderBy: string;
  /** Which seed rows copy k.seq contains; `s` is the seed row. */
  filter: string;
  /** Restricts the seed snapshot (e.g. only product URLs of oc_seo_url). */
  seedWhere?: string;
  /** Overrides for columns that must change per copy; `s` is the seed row, `k.seq` the copy number. */
  exprs: (o: Strides) => Record<string, string>;
}

/** Multiplier per copy and seed order: money keeps 4 exact decimals (2-decimal seeds × n/100). */
const ORDER_FACTOR = '(90 + MOD(k.seq * 7 + s.order_id, 21)) / 100';
const PRODUCT_FACTOR = '(90 + MOD(k.seq * 7 + s.product_id, 21)) / 100';
/** Copies move back in time so later copies look like older business; 900 days of spread. */
const shift = (column: string, key: string): string => `s.${column} - INTERVAL (MOD(k.seq * 11 + s.${key}, 900) * 86400 + MOD(k.seq * 3607, 86400)) SECOND`;
const dateShift = (column: string, key: string): string => `s.${column} - INTERVAL MOD(k.seq * 11 + s.${key}, 900) DAY`;
const suffixed = (column: string, width: number, separator = ' #'): string => `LEFT(CONCAT(s.${column}, '${separator}', k.seq), ${width})`;
const emailCopy = (column: string): string => `CONCAT(SUBSTRING_INDEX(s.${column}, '@', 1), '+', k.seq, '@', SUBSTRING_INDEX(s.${column}, '@', -1))`;
const ipCopy = (key: string): string => `CONCAT('10.', MOD(k.seq, 256), '.', MOD(s.${key}, 256), '.', 1 + MOD(k.seq * 7 + s.${key}, 254))`;
/** A reference points into copy k only when the referenced entity was copied there too. */
const copied = (column: string): string => `(s.${column} <> 0 AND ${inCopy(`s.${column}`)})`;
const ref = (column: string, stride: number, owner = column): string => `IF(${copied(owner)}, s.${column} + k.seq * ${stride}, s.${column})`;

const productFamily = (table: string, orderBy: string, exprs: CopySpec['exprs']): CopySpec =>
  ({ table, orderBy, filter: inCopy('s.product_id'), exprs: (o) => ({ product_id: `s.product_id + k.seq * ${o.product}`, ...exprs(o) }) });

const COPY_SPECS: readonly CopySpec[] = [
  productFamily('product', 's.product_id', () => ({
    model: suffixed('model', 64, '-'), sku: suffixed('sku', 64, '-'), quantity: 'MOD(s.quantity + k.seq * 17, 1000)', price: `s.price * ${PRODUCT_FACTOR}`,
    date_available: dateShift('date_available', 'product_id'), date_added: shift('date_added', 'product_id'), date_modified: shift('date_modified', 'product_id'),
  })),
  productFamily('product_description', 's.product_id, s.language_id', () => ({ name: suffixed('name', 255), meta_title: suffixed('meta_title', 255) })),
  productFamily('product_to_category', 's.product_id, s.category_id', () => ({})),
  productFamily('product_to_store', 's.product_id, s.store_id', () => ({})),
  productFamily('product_viewed', 's.product_id', () => ({ viewed: 'MOD(s.viewed * 31 + k.seq * 17, 5000)' })),
  productFamily('product_image', 's.product_image_id', (o) => ({ product_image_id: `s.product_image_id + k.seq * ${o.product_image}` })),
  productFamily('product_special', 's.product_special_id', (o) => ({
    product_special_id: `s.product_special_id + k.seq * ${o.product_special}`, price: `s.price * ${PRODUCT_FACTOR}`,
    date_start: dateShift('date_start', 'product_id'), date_end: dateShift('date_end', 'product_id'),
  })),
  productFamily('product_discount', 's.product_discount_id', (o) => ({
    product_discount_id: `s.product_discount_id + k.seq * ${o.product_discount}`, price: `s.price * ${PRODUCT_FACTOR}`,
    date_start: dateShift('date_start', 'product_id'), date_end: dateShift('date_end', 'product_id'),
  })),
  {
    table: 'seo_url', orderBy: 's.seo_url_id', seedWhere: "s.`key` = 'product_id'", filter: inCopy('CAST(s.value AS UNSIGNED)'),
    exprs: (o) => ({
      seo_url_id: `s.seo_url_id + k.seq * ${o.seo_url}`, value: `CAST(CAST(s.value AS UNSIGNED) + k.seq * ${o.product} AS CHAR)`, keyword: suffixed('keyword', 255, '-'),
    }),
  },
  {
    table: 'review', orderBy: 's.review_id', filter: inCopy('s.review_id'),
    exprs: (o) => ({
      review_id: `s.review_id + k.seq * ${o.review}`, product_id: ref('product_id', o.product), customer_id: ref('customer_id', o.customer),
      rating: '1 + MOD(s.rating + k.seq, 5)', date_added: shift('date_added', 'review_id'), date_modified: shift('date_modified', 'review_id'),
    }),
  },
  {
    table: 'customer', orderBy: 's.customer_id', filter: inCopy('s.customer_id'),
    exprs: (o) => ({
      customer_id: `s.customer_id + k.seq * ${o.customer}`, email: emailCopy('email'), ip: ipCopy('customer_id'),
      newsletter: 'MOD(s.newsletter + k.seq, 2)', date_added: shift('date_added', 'customer_id'),
    }),
  },
  {
    table: 'address', orderBy: 's.address_id', filter: inCopy('s.customer_id'),
    exprs: (o) => ({ address_id: `s.address_id + k.seq * ${o.address}`, customer_id: `s.customer_id + k.seq * ${o.customer}` }),
  },
  {
    table: 'customer_activity', orderBy: 's.customer_activity_id', filter: inCopy('s.customer_id'),
    exprs: (o) => ({
      customer_activity_id: `s.customer_activity_id + k.seq * ${o.customer_activity}`, customer_id: `s.customer_id + k.seq * ${o.customer}`,
      data: `CONCAT('{"customer_id":"', s.customer_id + k.seq * ${o.customer}, '","name":', JSON_EXTRACT(s.data, '$.name'), '}')`,
      ip: ipCopy('customer_activity_id'), date_added: shift('date_added', 'customer_id'),
    }),
  },
  {
    table: 'order', orderBy: 's.order_id', filter: inCopy('s.order_id'),
    exprs: (o) => ({
      order_id: `s.order_id + k.seq * ${o.order}`, invoice_no: `IF(s.invoice_no = 0, 0, s.invoice_no + k.seq * ${o.order})`,
      customer_id: ref('customer_id', o.customer), email: `IF(s.customer_id = 0 OR ${copied('customer_id')}, ${emailCopy('email')}, s.email)`,
      payment_address_id: ref('payment_address_id', o.address, 'customer_id'), shipping_address_id: ref('shipping_address_id', o.address, 'customer_id'),
      total: `s.total * ${ORDER_FACTOR}`, ip: ipCopy('order_id'), date_added: shift('date_added', 'order_id'), date_modified: shift('date_modified', 'order_id'),
    }),
  },
  {
    table: 'order_product', orderBy: 's.order_product_id', filter: inCopy('s.order_id'),
    exprs: (o) => ({
      order_product_id: `s.order_product_id + k.seq * ${o.order_product}`, order_id: `s.order_id + k.seq * ${o.order}`, product_id: ref('product_id', o.product),
      name: `IF(${copied('product_id')}, ${suffixed('name', 255)}, s.name)`, model: `IF(${copied('product_id')}, ${suffixed('model', 64, '-')}, s.model)`,
      price: `s.price * ${ORDER_FACTOR}`, total: `s.total * ${ORDER_FACTOR}`, tax: `s.tax * ${ORDER_FACTOR}`,
    }),
  },
  {
    table: 'order_total', orderBy: 's.order_total_id', filter: inCopy('s.order_id'),
    exprs: (o) => ({ order_total_id: `s.order_total_id + k.seq * ${o.order_total}`, order_id: `s.order_id + k.seq * ${o.order}`, value: `s.value * ${ORDER_FACTOR}` }),
  },
  {
    table: 'order_history', orderBy: 's.order_history_id', filter: inCopy('s.order_id'),
    exprs: (o) => ({
      order_history_id: `s.order_history_id + k.seq * ${o.order_history}`, order_id: `s.order_id + k.seq * ${o.order}`, date_added: shift('date_added', 'order_id'),
    }),
  },
];

function maxId(seed: Seed, table: string, column: string): number {
  return (seed.get(table) ?? []).reduce((max, row) => Math.max(max, Number(row[column])), 0);
}

function stridesOf(seed: Seed): Strides {
  return {
    product: maxId(seed, 'product', 'product_id'),
    customer: maxId(seed, 'customer', 'customer_id'),
    address: maxId(seed, 'address', 'address_id'),
    order: maxId(seed, 'order', 'order_id'),
    order_product: maxId(seed, 'order_product', 'order_product_id'),
    order_total: maxId(seed, 'order_total', 'order_total_id'),
    order_history: maxId(seed, 'order_history', 'order_history_id'),
    product_image: maxId(seed, 'product_image', 'product_image_id'),
    product_special: maxId(seed, 'product_special', 'product_special_id'),
    product_discount: maxId(seed, 'product_discount', 'product_discount_id'),
    seo_url: maxId(seed, 'seo_url', 'seo_url_id'),
    review: maxId(seed, 'review', 'review_id'),
    customer_activity: maxId(seed, 'customer_activity', 'customer_activity_id'),
  };
}

/**
 * Copies the seed rows of one table `copies` times with INSERT ... SELECT over seq_1_to_N.
 * The seed is first snapshotted into a temporary table: selecting from the table being filled
 * would make MariaDB buffer the whole result, and later chunks would copy earlier copies.
 */
async function multiplyTable(conn: Connection, prefix: string, spec: CopySpec, strides: Strides, copies: number): Promise<number> {
  const target = conn.escapeId(prefix + spec.table);
  const snapshot = conn.escapeId(`${prefix}demo_seed_${spec.table}`);
  await conn.query(`CREATE TEMPORARY TABLE ${snapshot} LIKE ${target}`);
  try {
    const where = spec.seedWhere ? ` WHERE ${spec.seedWhere}` : '';
    const [seeded] = await conn.query<ResultSetHeader>(`INSERT INTO ${snapshot} SELECT * FROM ${target} AS s${where}`);
    if (seeded.affectedRows === 0) return 0;
    const columns = columnsOf(spec.table);
    const exprs = spec.exprs(strides);
    const select = columns.map((c) => exprs[c] ?? `s.${conn.escapeId(c)}`).join(', ');
    const head = `INSERT INTO ${target} (${columns.map((c) => conn.escapeId(c)).join(', ')}) SELECT ${select}`;
    // A copy holds ~2/5 of the seed rows.
    const perChunk = Math.max(1, Math.floor(ROWS_PER_COPY_STATEMENT / (seeded.affectedRows * 0.4)));
    let inserted = 0;
    for (let first = 1; first <= copies; first += perChunk) {
      const last = Math.min(copies, first + perChunk - 1);
      const [result] = await conn.query<ResultSetHeader>(
        `${head} FROM seq_${first}_to_${last} AS k JOIN ${snapshot} AS s WHERE ${spec.filter} ORDER BY k.seq, ${spec.orderBy}`);
      inserted += result.affectedRows;
    }
    return inserted;
  } finally {
    await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${snapshot}`);
  }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

function validate(options: DemoShopOptions): number {
  if (!/^[A-Za-z0-9_]*$/.test(options.prefix)) throw new Error(`Invalid table prefix: ${JSON.stringify(options.prefix)}`);
  if (!Number.isFinite(options.scale) || options.scale < 1) throw new Error(`Scale must be a number >= 1, got ${options.scale}`);
  return Math.floor(options.scale);
}

/** Creates the OpenCart-named tables in the connection's current database and fills them. */
export async function createDemoShop(conn: Connection, options: DemoShopOptions): Promise<DemoShopSummary> {
  const scale = validate(options);
  const { prefix } = options;
  // Emoji and CJK need a 4-byte connection charset whatever the caller configured.
  await conn.query('SET NAMES utf8mb4 COLLATE utf8mb4_general_ci');
  const tables = Object.keys(SCHEMA);
  for (const name of tables) await conn.query(tableDdl(prefix, name));
  const seed = buildSeed(phpBcrypt('admin'), phpBcrypt('demo'));
  let rows = 0;
  for (const [table, tableRows] of seed) rows += await insertRows(conn, prefix + table, tableRows);
  if (scale > 1) {
    const strides = stridesOf(seed);
    for (const spec of COPY_SPECS) rows += await multiplyTable(conn, prefix, spec, strides, scale - 1);
  }
  return { tables: tables.length, rows };
}

/** OpenCart hashes with PHP's password_hash(), which writes the $2y$ variant of bcrypt. */
function phpBcrypt(password: string): string {
  return bcrypt.hashSync(password, 10).replace(/^\$2[ab]\$/, '$2y$');
}

/** Connects with the given settings; if `database` does not exist, creates it (utf8mb4) and calls createDemoShop(scale 1). Returns true when it created the database. */
export async function ensureDemoDatabase(settings: { host: string; port: number; user: string; password: string; database: string; prefix: string }): Promise<boolean> {
  const conn = await createConnection({
    host: settings.host, port: settings.port, user: settings.user, password: settings.password,
    charset: 'utf8mb4_general_ci', multipleStatements: false,
  });
  try {
    const [existing] = await conn.query<RowDataPacket[]>(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [settings.database]);
    if (existing.length > 0) return false;
    const database = conn.escapeId(settings.database);
    // No IF NOT EXISTS: if a concurrent caller wins the race, we fail instead of filling its database twice.
    await conn.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    try {
      await conn.query(`USE ${database}`);
      await createDemoShop(conn, { prefix: settings.prefix, scale: 1 });
    } catch (error) {
      // A half-filled demo database would be mistaken for a finished one on the next call.
      await conn.query(`DROP DATABASE IF EXISTS ${database}`);
      throw error;
    }
    return true;
  } finally {
    await conn.end();
  }
}
