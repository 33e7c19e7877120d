/**
 * The text prompts are cut from (repeated as needed, cut at token level). Plain English prose, so
 * that tokenizers of real models give ordinary token lengths for it too.
 */
export const DEFAULT_TEXT = `The lighthouse keeper climbed the spiral stairs every evening at dusk, counting the steps out of habit rather than need. There were one hundred and twelve of them, worn smooth in the middle by a century of boots. At the top he trimmed the wick, polished the great lens until it threw his reflection back at him in a hundred pieces, and struck the match that would keep ships off the rocks until morning.

Most nights nothing happened. The beam swept across the water, the wind pressed against the glass, and the keeper wrote a line or two in the log: weather, visibility, the passing of a freighter far out on the horizon. He liked the quiet. In the village below, people said he must be lonely, but he had the radio, a shelf of books that he read twice over, and the company of the gulls, who were loud and quarrelsome and never boring.

In the autumn of the year the new road was built, a storm came in from the west faster than anyone had predicted. By late afternoon the sky had turned the colour of slate, and the sea was throwing spray over the breakwater. The keeper lit the lamp early. Just after eight o'clock he saw a light where no light should be: a small boat, low in the water, drifting toward the reef that had given the lighthouse its reason to exist.

He telephoned the harbour master, who sent the lifeboat, and then he did the only other thing he could do. He kept the beam steady and bright, and he watched. For forty minutes the little light rose and fell between the waves. Then a second light joined it, larger and brighter, and the two moved together slowly back toward the harbour.

The next morning a young woman knocked on the door at the bottom of the tower. She had been sailing alone, she said, trying to reach the island before the weather turned, and she had lost her engine and then her bearings. She had seen the beam through the rain and had known, at least, which way not to go. She brought a loaf of bread and a jar of honey, and the keeper, who was not used to visitors, made tea and showed her the lens.

`;
