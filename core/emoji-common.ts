/**
 * Shortcodes people use most in chat that markdown-it-emoji's light set (the faces, hearts
 * and signs GitHub shows) leaves out: `:+1:`, `:tada:`, `:rocket:`, `:fire:`, `:eyes:` and
 * the like. Copied from that package's full set (MIT, data from GitHub's gemoji), so the
 * first load carries about 335 shortcodes in 3 KB (gzip) instead of all 1,900 in 16 KB;
 * the rest loads on first use (web/src/lib/emoji.ts). Here in core/ because a reaction's
 * `:shortcode:` is read from the same set (reactions.ts).
 */
export const COMMON_EMOJI: Readonly<Record<string, string>> = {
  '100': '💯', '+1': '👍', '-1': '👎', thumbsup: '👍', thumbsdown: '👎', tada: '🎉', rocket: '🚀', fire: '🔥', eyes: '👀',
  pray: '🙏', clap: '👏', wave: '👋', ok_hand: '👌', muscle: '💪', thinking: '🤔', rofl: '🤣', slightly_smiling_face: '🙂',
  upside_down_face: '🙃', partying_face: '🥳', raised_hands: '🙌', beer: '🍺', beers: '🍻', bug: '🐛', boom: '💥',
  bulb: '💡', memo: '📝', lock: '🔒', unlock: '🔓', key: '🔑', calendar: '📆', hugs: '🤗', facepalm: '🤦', shrug: '🤷',
  grimacing: '😬', roll_eyes: '🙄', see_no_evil: '🙈', hear_no_evil: '🙉', speak_no_evil: '🙊', skull: '💀', ghost: '👻',
  poop: '💩', star_struck: '🤩', zany_face: '🤪', exploding_head: '🤯', nerd_face: '🤓', handshake: '🤝', point_right: '👉',
  point_left: '👈', point_down: '👇', crossed_fingers: '🤞', metal: '🤘', writing_hand: '✍️', seedling: '🌱',
  sun_with_face: '🌞', rainbow: '🌈', pizza: '🍕', cake: '🍰', birthday: '🎂', gift: '🎁', trophy: '🏆', computer: '💻',
  iphone: '📱', email: '📧', link: '🔗', hammer: '🔨', wrench: '🔧', gear: '⚙️', chart_with_upwards_trend: '📈',
  chart_with_downwards_trend: '📉', alarm_clock: '⏰', bell: '🔔', mega: '📣', speech_balloon: '💬', thought_balloon: '💭',
  zzz: '💤', sweat_drops: '💦', dash: '💨', bomb: '💣', ok: '🆗', cool: '🆒', new: '🆕', free: '🆓', sos: '🆘',
  arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️', no_entry: '⛔', construction: '🚧',
  checkered_flag: '🏁', pushpin: '📌', paperclip: '📎', package: '📦', clipboard: '📋', books: '📚', bookmark: '🔖',
  moneybag: '💰', mag: '🔍', shield: '🛡️', crown: '👑', gem: '💎', heartbeat: '💓', two_hearts: '💕', sparkling_heart: '💖',
  blue_heart: '💙', green_heart: '💚', yellow_heart: '💛', purple_heart: '💜', black_heart: '🖤', orange_heart: '🧡',
  white_heart: '🤍', hourglass_flowing_sand: '⏳', tea: '🍵', wine_glass: '🍷', champagne: '🍾', clinking_glasses: '🥂',
  taco: '🌮', hamburger: '🍔', fries: '🍟', popcorn: '🍿', doughnut: '🍩', cookie: '🍪', apple: '🍎', banana: '🍌',
  avocado: '🥑', dog: '🐶', unicorn: '🦄', panda_face: '🐼', penguin: '🐧', bird: '🐦', turtle: '🐢', snake: '🐍',
  octopus: '🐙', bee: '🐝', butterfly: '🦋', rose: '🌹', sunflower: '🌻', cactus: '🌵', evergreen_tree: '🌲',
  palm_tree: '🌴', earth_africa: '🌍', earth_americas: '🌎', globe_with_meridians: '🌐', moon: '🌔', snowman: '⛄',
  ocean: '🌊', house: '🏠', office: '🏢', school: '🏫', hospital: '🏥', car: '🚗', taxi: '🚕', bus: '🚌', train: '🚋',
  ship: '🚢', bike: '🚲', rotating_light: '🚨', white_flag: '🏳️', money_mouth_face: '🤑', nauseated_face: '🤢',
  sneezing_face: '🤧', lying_face: '🤥', shushing_face: '🤫', hand_over_mouth: '🤭', monocle_face: '🧐',
  pleading_face: '🥺', yawning_face: '🥱', woozy_face: '🥴', hot_face: '🥵', cold_face: '🥶', saluting_face: '🫡',
  melting_face: '🫠', face_with_spiral_eyes: '😵‍💫', face_exhaling: '😮‍💨', star2: '🌟', dizzy: '💫', anger: '💢',
  collision: '💥', radio_button: '🔘', red_circle: '🔴', large_blue_circle: '🔵', green_circle: '🟢', yellow_circle: '🟡',
  hash: '#️⃣', keycap_ten: '🔟',
};
