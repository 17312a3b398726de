// Builds a Node.js tutorial backend's database the way that app does, for tests/test_node_import.py.
//
// The models are the tutorial's (bezkoder/node-js-jwt-auth and its refresh-token variant),
// written anew: Sequelize creates the tables (sync with force, as the tutorial's server does on
// start), seeds the roles 1 user, 2 moderator, 3 admin, and signs users up as its
// auth.controller does: User.create with bcryptjs.hashSync(password, 8), then setRoles (by name,
// or [1] when none are asked for). Rows the tutorial's checks would refuse (duplicates, bad
// emails) are created with the same calls: the schema itself has no constraint against them.
//
// Input (stdin, JSON): {"variant": "basic" | "refresh", "extraRoles": ["editor"],
//   "users": [{"username", "email", "password", "roles": [...] | null, "rawPassword": bool}]}
// Database: NODE_DB_HOST, NODE_DB_PORT, NODE_DB_USER, NODE_DB_PASSWORD, NODE_DB_NAME.
// Output (stdout, JSON): [{"id", "username"}] in input order.
"use strict";
const bcrypt = require("bcryptjs");
const crypto = require("crypto");
const { Sequelize, Op } = require("sequelize");

function defineModels(sequelize) {
  const User = sequelize.define("users", {
    username: { type: Sequelize.STRING },
    email: { type: Sequelize.STRING },
    password: { type: Sequelize.STRING },
  });
  const Role = sequelize.define("roles", {
    id: { type: Sequelize.INTEGER, primaryKey: true },
    name: { type: Sequelize.STRING },
  });
  Role.belongsToMany(User, { through: "user_roles", foreignKey: "roleId", otherKey: "userId" });
  User.belongsToMany(Role, { through: "user_roles", foreignKey: "userId", otherKey: "roleId" });
  return { User, Role };
}

function defineRefreshToken(sequelize, User) {
  const RefreshToken = sequelize.define("refreshToken", {
    token: { type: Sequelize.STRING },
    expiryDate: { type: Sequelize.DATE },
  });
  RefreshToken.belongsTo(User, { foreignKey: "userId", targetKey: "id" });
  User.hasOne(RefreshToken, { foreignKey: "userId", targetKey: "id" });
  return RefreshToken;
}

async function signup(models, { username, email, password, roles, rawPassword }) {
  const { User, Role } = models;
  const user = await User.create({
    username,
    email,
    password: rawPassword ? password : bcrypt.hashSync(password, 8),
  });
  if (roles) {
    const found = await Role.findAll({ where: { name: { [Op.or]: roles } } });
    await user.setRoles(found);
  } else {
    await user.setRoles([1]);
  }
  return user;
}

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const env = process.env;
  const sequelize = new Sequelize(env.NODE_DB_NAME, env.NODE_DB_USER, env.NODE_DB_PASSWORD || "", {
    host: env.NODE_DB_HOST,
    port: Number(env.NODE_DB_PORT),
    dialect: "mysql",
    logging: false,
  });
  const models = defineModels(sequelize);
  const RefreshToken = input.variant === "refresh" ? defineRefreshToken(sequelize, models.User) : null;
  await sequelize.sync({ force: true });
  const roleNames = ["user", "moderator", "admin", ...(input.extraRoles || [])];
  for (const [index, name] of roleNames.entries()) {
    await models.Role.create({ id: index + 1, name });
  }
  const out = [];
  for (const spec of input.users) {
    const user = await signup(models, spec);
    if (RefreshToken) {
      // The refresh variant's signin: a plain UUID stored as it is.
      await RefreshToken.create({
        token: crypto.randomUUID(),
        userId: user.id,
        expiryDate: new Date(Date.now() + 86400 * 1000),
      });
    }
    out.push({ id: user.id, username: user.username });
  }
  await sequelize.close();
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
