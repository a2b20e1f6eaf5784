const util = require('./util');

function shout(text) {
  return util.upper(text) + '!';
}

module.exports = { shout };
