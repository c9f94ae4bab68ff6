import { MongoClient } from "mongodb";
const c = new MongoClient("mongodb://127.0.0.1:35911/"); await c.connect();
const db = c.db("bench_n10000_s42");
console.log(await db.collection("schema_meta").find({}).toArray());
console.log(await db.collection("account_write_locks").find({}).toArray());
console.log(await db.collection("account_leases").find({}).limit(5).toArray());
console.log((await db.listCollections().toArray()).map(c=>c.name).join(" "));
await c.close();
